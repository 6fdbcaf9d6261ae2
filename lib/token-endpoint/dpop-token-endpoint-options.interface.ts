/**
 * Options of `@DpopTokenEndpoint()` (or of `DpopTokenInterceptor` through it).
 * @publicApi
 */
export interface DpopTokenEndpointOptions {
  /** Demand a server nonce in token-request proofs. @default the module's `nonce.required` */
  requireNonce?: boolean;
  /** Refuse token requests that carry no DPoP proof (every token DPoP-bound). @default false */
  requireProof?: boolean;
  /**
   * Which clients' refresh tokens are bound to the proof key: `public`
   * (clients without client authentication, as RFC 9449 §5 requires) or
   * `all`.
   * @default 'public'
   */
  bindRefreshTokens?: 'public' | 'all';
  /**
   * How long a refresh-token binding is kept when the response has no
   * `refresh_token_expires_in`, in seconds.
   * @default 1209600 (14 days)
   */
  refreshTokenLifetime?: number;
}

/** Token-endpoint options with every default filled in. @internal */
export interface ResolvedTokenEndpointOptions {
  readonly requireNonce?: boolean;
  readonly requireProof: boolean;
  readonly bindRefreshTokens: 'public' | 'all';
  readonly refreshTokenLifetime: number;
}
