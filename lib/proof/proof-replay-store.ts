/** A replay record: the key of a proof's (thumbprint, `jti`) and when it may be forgotten. @publicApi */
export interface ProofRecord {
  /** A fixed-length hash of the proof key's thumbprint and the proof's `jti`. */
  readonly key: string;
  /** When the record may be forgotten, in ms since the epoch. */
  readonly expiresAt: number;
}

/**
 * What the verifier needs of a store: an atomic insert-if-absent with expiry, one
 * record at a time or a batch's records together. `DpopStore` provides it; the module
 * binds this token to the configured store, so `proof/` depends on nothing above it.
 * @internal
 */
export interface ProofReplayStore {
  rememberProof(key: string, expiresAt: number): Promise<boolean>;
  rememberProofs(records: readonly ProofRecord[]): Promise<boolean[]>;
}

/** Injection token of the {@link ProofReplayStore}. @internal */
export const PROOF_REPLAY_STORE = Symbol('PROOF_REPLAY_STORE');
