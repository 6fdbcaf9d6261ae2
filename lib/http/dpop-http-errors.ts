import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { HttpServer } from '@nestjs/common';
import {
  DPOP_ERROR_RESPONSES,
  DpopError,
  DpopProofError,
  DpopRequestError,
  InsufficientScopeError,
} from '../dpop.errors.js';

/**
 * The one place where a refusal becomes an HTTP response, in the two shapes DPoP
 * needs: a protected resource's `WWW-Authenticate` challenge (RFC 9449 §7.1,
 * RFC 6750 §3) and a token endpoint's JSON error (RFC 6749 §5.2). Both carry only
 * the constant description of their code; the precise reason goes to the debug log.
 * @internal
 */

/** An error that is not a DpopError means the check could not complete: fail closed with 503. */
function asDpopError(error: unknown, logger: Logger): DpopError | HttpException {
  if (error instanceof DpopError) return error;
  logger.error('DPoP check could not complete; refusing the request.', error as Error);
  return new HttpException(
    { error: 'temporarily_unavailable', error_description: DPOP_ERROR_RESPONSES.temporarily_unavailable.description },
    HttpStatus.SERVICE_UNAVAILABLE,
  );
}

/** Sends a fresh nonce the way RFC 9449 §8 and §9 ask: a `DPoP-Nonce` header, not cacheable. */
export function writeNonce(adapter: HttpServer, response: unknown, nonce: string): void {
  adapter.setHeader(response, 'DPoP-Nonce', nonce);
  adapter.setHeader(response, 'Cache-Control', 'no-store');
}

/** How the resource server answers: the schemes it offers and whether the client used Bearer. */
export interface ChallengeContext {
  /** `algs="…"` for the DPoP challenge. */
  algs: string;
  /** The route accepts Bearer: both schemes are offered. */
  allowBearer: boolean;
  /** The client used the Bearer scheme: the error goes on the Bearer challenge (RFC 6750 §3). */
  bearer: boolean;
}

/**
 * A refusal at a protected resource: status, `WWW-Authenticate` (and `DPoP-Nonce`), constant body.
 * `insufficient_scope` (403) names the required scopes: `DPoP error="insufficient_scope", …, scope="a b", algs="…"`.
 * @internal
 */
export function challengeException(
  error: unknown,
  adapter: HttpServer,
  response: unknown,
  context: ChallengeContext,
  logger: Logger,
): HttpException {
  const refusal = asDpopError(error, logger);
  if (!(refusal instanceof DpopError)) return refusal;
  logger.debug(`DPoP request refused (${refusal.code}): ${refusal.message}`);
  if (refusal.code === 'temporarily_unavailable') return refusal;
  const { status, description } = DPOP_ERROR_RESPONSES[refusal.code];
  let params = refusal.code === 'unauthorized' ? '' : `error="${refusal.code}", error_description="${description}"`;
  // RFC 6750 §3: the scopes the resource requires (scope tokens, checked at decoration: nothing to escape).
  if (refusal instanceof InsufficientScopeError) params += `, scope="${refusal.scopes.join(' ')}"`;
  const dpop = `DPoP ${params && !context.bearer ? `${params}, ` : ''}${context.algs}`;
  const bearer = context.bearer ? `Bearer ${params}` : 'Bearer';
  adapter.setHeader(response, 'WWW-Authenticate', context.allowBearer ? `${dpop}, ${bearer}` : dpop);
  if (refusal instanceof DpopProofError && refusal.nonce !== undefined) writeNonce(adapter, response, refusal.nonce);
  return new HttpException({ error: refusal.code, error_description: description }, status);
}

/** What a token endpoint says for each code (RFC 6749 §5.2, RFC 9449 §5, §8). */
const TOKEN_ENDPOINT_DESCRIPTIONS: Partial<Record<DpopError['code'], string>> = {
  invalid_request: 'The request is malformed',
  invalid_dpop_proof: 'The DPoP proof is not valid',
  use_dpop_nonce: 'Authorization server requires nonce in DPoP proof',
};

/** A refusal at a token (or PAR) endpoint: RFC 6749 §5.2 JSON, 400 (503 when unavailable), never a challenge. @internal */
export function tokenEndpointException(
  error: unknown,
  adapter: HttpServer,
  response: unknown,
  logger: Logger,
): HttpException {
  const refusal = asDpopError(error, logger);
  if (!(refusal instanceof DpopError)) return refusal;
  logger.debug(`Token request refused (${refusal.code}): ${refusal.message}`);
  if (refusal.code === 'temporarily_unavailable') {
    return tokenError('temporarily_unavailable', 'Please retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
  if (refusal instanceof DpopProofError && refusal.nonce !== undefined) writeNonce(adapter, response, refusal.nonce);
  // RFC 9449 §4.3 check 1 (one well-formed DPoP header) is a proof check: invalid_dpop_proof here.
  const code = refusal instanceof DpopRequestError && refusal.header === 'DPoP' ? 'invalid_dpop_proof' : refusal.code;
  const description = TOKEN_ENDPOINT_DESCRIPTIONS[code];
  return description === undefined
    ? tokenError('invalid_request', 'The request is malformed')
    : tokenError(code, description);
}

/** An RFC 6749 §5.2 error response: JSON, 400 unless said otherwise. @internal */
export function tokenError(error: string, description: string, status: number = HttpStatus.BAD_REQUEST): HttpException {
  return new HttpException({ error, error_description: description }, status);
}
