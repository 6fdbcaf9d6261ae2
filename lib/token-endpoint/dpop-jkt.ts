import { tokenError } from '../http/dpop-http-errors.js';
import { BASE64URL_SHA256 } from '../internal/patterns.js';

/**
 * Reads the `dpop_jkt` authorization request parameter (RFC 9449 §10):
 * undefined when absent; a 400 `invalid_request` when it is not a SHA-256
 * JWK thumbprint. Record the result with the authorization code.
 * @publicApi
 */
export function parseDpopJkt(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !BASE64URL_SHA256.test(value)) {
    throw tokenError('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint');
  }
  return value;
}

/**
 * At the token request for a code issued with `dpop_jkt`: the request must
 * carry a DPoP proof by that key, else a 400 `invalid_grant` (RFC 9449 §10).
 * @param recorded the `dpop_jkt` recorded with the code (undefined: nothing to check)
 * @param proofJkt the thumbprint of the token request's proof key (`@Dpop('jkt')`)
 * @publicApi
 */
export function assertDpopJkt(recorded: string | undefined, proofJkt: string | undefined): void {
  if (recorded !== undefined && recorded !== proofJkt) {
    throw tokenError('invalid_grant', 'The DPoP proof key does not match the authorization request');
  }
}
