/**
 * What went wrong in {@link DpopClientError}; branch on this, never on the message.
 * - `authorization_server_unreachable`: discovery or the token request did not get an answer (network, timeout).
 * - `discovery_failed`: the issuer's metadata could not be read or was invalid.
 * - `token_request_failed`: the token endpoint answered with an error (`oauthError`, `status`).
 * - `invalid_token_response`: the token response was not a valid DPoP token response (e.g. the access
 *   token is not an RFC 6750 token68); the token in it is not used.
 * - `token_response_too_large`: the token endpoint's response was larger than `maxTokenResponseBytes`.
 * - `signing_failed`: the DPoP key could not sign a proof (e.g. the KMS `sign` callback threw).
 * - `too_many_redirects`: an API redirected one call more than 20 times.
 * @publicApi
 */
export type DpopClientErrorCode =
  | 'authorization_server_unreachable'
  | 'discovery_failed'
  | 'token_request_failed'
  | 'invalid_token_response'
  | 'token_response_too_large'
  | 'signing_failed'
  | 'too_many_redirects';

/**
 * A typed failure of the DPoP client. The message names the endpoint and
 * what happened; it never contains a token, a secret or a key. The
 * underlying error, if any, is in `cause`.
 * @publicApi
 */
export class DpopClientError extends Error {
  constructor(
    readonly code: DpopClientErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; oauthError?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DpopClientError';
    this.status = options.status;
    this.oauthError = options.oauthError;
  }

  /** HTTP status of the authorization server's answer, when there was one. */
  readonly status?: number;
  /** OAuth `error` code of the authorization server's answer, when there was one (e.g. `invalid_client`). */
  readonly oauthError?: string;
}
