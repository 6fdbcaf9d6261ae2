/**
 * What the verifier needs of a store: an atomic insert-if-absent with expiry.
 * `DpopStore` provides it; the module binds this token to the configured store,
 * so `proof/` depends on nothing above it.
 * @internal
 */
export interface ProofReplayStore {
  rememberProof(key: string, expiresAt: number): Promise<boolean> | boolean;
}

/** Injection token of the {@link ProofReplayStore}. @internal */
export const PROOF_REPLAY_STORE = Symbol('PROOF_REPLAY_STORE');
