import { HttpException } from '@nestjs/common';

/**
 * What a refused request is answered with: the OAuth error codes of RFC 6750 §3.1 and
 * RFC 9449 §7.1, `temporarily_unavailable` when a dependency (store, key server,
 * introspection) cannot answer, and `unauthorized` when no credentials came at all
 * (RFC 6750 §3.1: then the challenge carries no error code).
 * @publicApi
 */
export type DpopErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable'
  | 'unauthorized';

/**
 * The check of a DPoP proof that failed, in the order they run.
 * @publicApi
 */
export type DpopCheck =
  | 'format'
  | 'typ'
  | 'alg'
  | 'jwk'
  | 'signature'
  | 'claims'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'ath'
  | 'nonce'
  | 'key_binding'
  | 'replay';

/**
 * The one table from error code to HTTP status and the constant, public description.
 * A response never carries more than these: the precise reason is in the error's
 * `message`, which goes to the debug log.
 * @internal
 */
export const DPOP_ERROR_RESPONSES: Readonly<Record<DpopErrorCode, { status: number; description: string }>> = {
  invalid_request: { status: 400, description: 'The request is malformed' },
  invalid_token: { status: 401, description: 'The access token is not valid' },
  insufficient_scope: { status: 403, description: 'The access token does not grant the scope this resource requires' },
  invalid_dpop_proof: { status: 401, description: 'The DPoP proof is not valid' },
  use_dpop_nonce: { status: 401, description: 'Resource server requires nonce in DPoP proof' },
  temporarily_unavailable: { status: 503, description: 'Authorization could not be checked; retry later' },
  unauthorized: { status: 401, description: 'DPoP-bound access token required' },
};

/**
 * The base of every error the library raises while checking a request: branch on
 * `code` (as with jose's `JOSEError`), never on the message. It is a Nest
 * `HttpException`, so one that reaches Nest's exception layer is answered with the
 * status of its code and a constant body; `DpopGuard` and `@DpopTokenEndpoint()`
 * turn it into an RFC 9449 §7.1 challenge or an RFC 6749 §5.2 error instead.
 * `message` says what failed, never echoing the input; it is for logs.
 * @publicApi
 */
export abstract class DpopError extends HttpException {
  protected constructor(
    readonly code: DpopErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    const { status, description } = DPOP_ERROR_RESPONSES[code];
    const body = { error: code, error_description: description };
    super(body, status, { cause: options.cause, description: body.error_description });
    this.message = message;
    this.name = new.target.name;
  }
}

/** A request the library cannot read: duplicated or malformed headers, a bad `Host`, a dot segment. @publicApi */
export class DpopRequestError extends DpopError {
  declare readonly code: 'invalid_request';
  /** @param header the header at fault, when it is the `DPoP` header (a token endpoint answers `invalid_dpop_proof` then) */
  constructor(
    message: string,
    readonly header?: 'DPoP',
  ) {
    super('invalid_request', message);
  }
}

/** No credentials, or a scheme other than DPoP/Bearer: answered with a bare challenge. @publicApi */
export class DpopCredentialsRequiredError extends DpopError {
  declare readonly code: 'unauthorized';
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** An access token that is not valid (or may not be used this way); answered `invalid_token`. @publicApi */
export class AccessTokenError extends DpopError {
  declare readonly code: 'invalid_token';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_token', message, options);
  }
}

/**
 * A valid token that does not grant every scope the route requires (`@DpopBound({ scopes })`):
 * answered 403 `insufficient_scope` with the required scopes in the challenge (RFC 6750 §3.1).
 * @publicApi
 */
export class InsufficientScopeError extends DpopError {
  declare readonly code: 'insufficient_scope';
  /** @param scopes every scope the route requires (not only the missing ones), for the challenge's `scope` */
  constructor(
    message: string,
    readonly scopes: readonly string[],
  ) {
    super('insufficient_scope', message);
  }
}

/**
 * A `cnf` that cannot be used: malformed, ambiguous, or of a method the recipient
 * cannot resolve. The token it confirms is not usable: `invalid_token`.
 * @publicApi
 */
export class ConfirmationError extends DpopError {
  declare readonly code: 'invalid_token';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_token', message, options);
  }
}

/**
 * Thrown when a DPoP proof is refused. `code` is the OAuth error code to answer
 * with, `check` names the check that failed, and `nonce` (for `use_dpop_nonce`) is a
 * fresh nonce to send in a `DPoP-Nonce` header. The message names the check and
 * never echoes any part of the input.
 * @publicApi
 */
export class DpopProofError extends DpopError {
  declare readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce';
  constructor(
    code: 'invalid_dpop_proof' | 'use_dpop_nonce',
    readonly check: DpopCheck,
    message: string,
    readonly nonce?: string,
  ) {
    // The body Nest's own exception filter would send carries the constant description, never `message`.
    super(code, message);
  }
}

/**
 * Thrown when something the check depends on cannot answer (the replay store, the
 * access-token issuer's keys, introspection, a `jku` server): the request is refused
 * with 503, never accepted (fail closed). The cause is logged, not returned.
 * @publicApi
 */
export class DpopUnavailableError extends DpopError {
  declare readonly code: 'temporarily_unavailable';
  constructor(message = 'A dependency of the DPoP check is unavailable', options?: { cause?: unknown }) {
    super('temporarily_unavailable', message, options);
  }
}

/** The replay store could not answer: the proof is refused (503), never accepted. @publicApi */
export class DpopStoreUnavailableError extends DpopUnavailableError {
  constructor(cause?: unknown) {
    super('DPoP replay store unavailable', { cause });
  }
}

/**
 * Thrown at start-up when an option is wrong (of the module, a decorator, a store or
 * the client); the message names the option and what to change, and `option` names
 * it for code. Not a request error: it never reaches a client.
 * @publicApi
 */
export class DpopConfigurationError extends Error {
  constructor(
    message: string,
    /** The wrong option, e.g. `nonce.stepSeconds`, when one option is at fault. */
    readonly option?: string,
  ) {
    super(message);
    this.name = 'DpopConfigurationError';
  }
}
