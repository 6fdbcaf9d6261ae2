import type { JWK, JWTPayload } from 'jose';
import type { Confirmation } from '../confirmation/confirmation.js';

/** Claims of a verified access token (JWT claims or an introspection response). @publicApi */
export interface AccessTokenClaims extends JWTPayload {
  cnf?: Confirmation;
  /** From RFC 7662 introspection: `DPoP` or `Bearer`. */
  token_type?: string;
  scope?: string;
  client_id?: string;
  [claim: string]: unknown;
}

/** Verify access tokens as JWTs signed by the authorization server (RFC 9068). @publicApi */
export interface JwtAccessTokenOptions {
  type: 'jwt';
  /** Expected `iss`. */
  issuer: string | string[];
  /** Expected `aud`. */
  audience: string | string[];
  /** URL of the issuer's JWK set (fetched and cached by jose). Give this or `keys`. */
  jwksUri?: string;
  /** The issuer's public keys. Give this or `jwksUri`. */
  keys?: JWK[];
  /** Accepted JWS algorithms (asymmetric only). @default ['ES256','ES384','ES512','PS256','PS384','PS512','RS256','RS384','RS512','EdDSA','Ed25519'] */
  algorithms?: string[];
  /** Seconds of leeway for `exp`/`nbf`/`iat`. @default 5 */
  clockTolerance?: number;
  /** Expected JWT `typ`, e.g. `at+jwt` (RFC 9068). @default not checked (`at+jwt` with `profile: 'rfc9068'`) */
  typ?: string;
  /**
   * `'rfc9068'`: the token must be an RFC 9068 JWT access token: `typ` `at+jwt` (or `application/at+jwt`, any
   * case) and the claims of RFC 9068 §2.2 (`iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`).
   * @default none: `typ` and those claims are checked only as the other options ask
   */
  profile?: 'rfc9068';
  /** How long to wait for the `jwksUri` key set, in ms; an issuer that does not answer is a 503. @default 3000 */
  jwksTimeoutMs?: number;
}

/** Verify access tokens with RFC 7662 introspection. @publicApi */
export interface IntrospectionAccessTokenOptions {
  type: 'introspection';
  /** The introspection endpoint URL. */
  endpoint: string;
  /** Client credentials for the endpoint (HTTP Basic, RFC 7662 §2.1). */
  clientId: string;
  clientSecret: string;
  /**
   * The `aud` the introspection response must name (RFC 7662 §2.2): one of these values, when `aud` is a
   * string, or among its values, when it is a list. A response without `aud` is refused. `false` accepts
   * tokens issued for any audience (only when the authorization server issues tokens for this API alone).
   * Required: starting without it is a configuration error.
   */
  audience: string | string[] | false;
  /** The `iss` the introspection response must name (one of these). @default not checked */
  issuer?: string | string[];
  /**
   * How long an active token's introspection answer is reused, in seconds (never past its `exp`, never past
   * `accessTokenCache.maxTtlSeconds`). A token revoked at the authorization server keeps working here until its
   * answer expires; `0` asks the endpoint on every request. An inactive answer is never kept.
   * @default 0
   */
  cacheSeconds?: number;
  /** How long to wait for the endpoint, in ms; one that does not answer is a 503. @default 3000 */
  timeoutMs?: number;
  /** Largest introspection response accepted, in bytes. @default 65536 */
  maxBytes?: number;
  /** Extra CA certificates (PEM) to trust for the endpoint. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Verify access tokens with your own function. @publicApi */
export interface CustomAccessTokenOptions {
  type: 'custom';
  /** Resolve the token's claims, or `undefined`/`null` when the token is not valid. */
  verify: (token: string) => Promise<AccessTokenClaims | null | undefined> | AccessTokenClaims | null | undefined;
}

/** How access tokens are verified. @publicApi */
export type AccessTokenOptions = JwtAccessTokenOptions | IntrospectionAccessTokenOptions | CustomAccessTokenOptions;
