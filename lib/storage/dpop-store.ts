import { randomBytes } from 'node:crypto';
import type { ProofRecord } from '../proof/proof-replay-store.js';
import type { RefreshTokenBinding } from './refresh-token-binding.js';

/**
 * Where replay records and refresh-token bindings live. Swap it with the module option `store`
 * (`DpopModule.forRootAsync` can build it from injected providers); implement it for a store of
 * your own. The class doubles as the injection token of the module's store.
 * @publicApi
 */
export abstract class DpopStore {
  /**
   * Records a proof, atomically: `true` the first time `key` is seen and
   * `false` on every later call until `expiresAt` has passed, even when several
   * callers (or instances sharing the store) race. Implementations must reject
   * when they cannot answer; the verifier then refuses the proof (fail closed).
   * @param key a fixed-length hash of the proof key thumbprint and `jti`
   * @param expiresAt when the record may be forgotten, in ms since the epoch
   */
  abstract rememberProof(key: string, expiresAt: number): Promise<boolean>;

  /**
   * Records several proofs at once, with the same answers as {@link rememberProof}
   * called for each in order (a key given twice: `true`, then `false`). The verifier
   * calls it with the records of one event-loop turn's batch of checks (the module
   * option `yieldToEventLoop`). This default calls `rememberProof` for each; override it
   * where one call is cheaper than many (one transaction, one script). Reject when the
   * records cannot be answered: every proof of the batch is then refused (fail closed).
   */
  rememberProofs(records: readonly ProofRecord[]): Promise<boolean[]> {
    try {
      return Promise.all(records.map((record) => this.rememberProof(record.key, record.expiresAt)));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Stores (or replaces) the key binding of a refresh token. */
  abstract saveRefreshTokenBinding(binding: RefreshTokenBinding): Promise<void>;

  /** The binding of a refresh token hash, or undefined when there is none or it has expired. */
  abstract findRefreshTokenBinding(tokenHash: string): Promise<RefreshTokenBinding | undefined>;

  /** Forgets a refresh token's binding (e.g. when the token is rotated or revoked). */
  abstract deleteRefreshTokenBinding(tokenHash: string): Promise<void>;

  /**
   * Probes the store the way requests use it: an insert-if-absent of a random key
   * that expires in a second. Resolves when the store can record proofs; rejects
   * when it cannot (what the health indicator of `nestjs-dpop/terminus` reports as
   * down). Override it for a cheaper probe that still exercises the write path.
   */
  async checkHealth(): Promise<void> {
    const fresh = await this.rememberProof(randomBytes(32).toString('base64url'), Date.now() + 1000);
    if (!fresh) throw new Error('DpopStore answered a fresh probe as a replay');
  }
}
