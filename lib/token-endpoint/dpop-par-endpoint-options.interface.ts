/**
 * Options of `@DpopParEndpoint()`, the pushed authorization request endpoint
 * (RFC 9126) with DPoP (RFC 9449 §10.1).
 * @publicApi
 */
export interface DpopParEndpointOptions {
  /** Demand a server nonce in PAR proofs (`400 use_dpop_nonce` + `DPoP-Nonce`). @default the module's `nonce.required` */
  requireNonce?: boolean;
  /**
   * Refuse pushed requests that carry no DPoP proof (`400 invalid_dpop_proof`), so every
   * code is bound to a key the client proved it holds; `dpop_jkt` alone is not enough then.
   * @default false
   */
  requireProof?: boolean;
}

/** PAR-endpoint options with every default filled in. @internal */
export interface ResolvedParEndpointOptions {
  readonly requireNonce?: boolean;
  readonly requireProof: boolean;
}
