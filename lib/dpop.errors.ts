import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Error codes a DPoP proof can fail with (RFC 9449 §7.1, §8, §12.2).
 * @publicApi
 */
export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce';

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
 * Thrown when a DPoP proof is refused. `code` is the OAuth error code to
 * answer with, `check` names the check that failed, and `nonce` (for
 * `use_dpop_nonce`) is a fresh nonce to send in a `DPoP-Nonce` header.
 * The message names the check and never echoes any part of the input.
 * @publicApi
 */
export class DpopProofError extends HttpException {
  constructor(
    readonly code: DpopErrorCode,
    readonly check: DpopCheck,
    description: string,
    readonly nonce?: string,
  ) {
    super({ error: code, error_description: description }, HttpStatus.UNAUTHORIZED, {
      description,
    });
    this.message = description;
    this.name = 'DpopProofError';
  }
}

/**
 * Thrown when the replay store cannot answer. The proof is refused, never
 * accepted (fail closed); the cause is logged, not returned.
 * @publicApi
 */
export class DpopStoreUnavailableError extends HttpException {
  constructor(cause?: unknown) {
    super(
      { error: 'temporarily_unavailable', error_description: 'DPoP replay store unavailable' },
      HttpStatus.SERVICE_UNAVAILABLE,
      { cause },
    );
    this.name = 'DpopStoreUnavailableError';
  }
}

/**
 * Thrown at start-up when a {@link DpopModuleOptions} value is wrong; the
 * message names the option and what to change.
 * @publicApi
 */
export class DpopConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpopConfigurationError';
  }
}
