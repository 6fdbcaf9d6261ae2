/**
 * Where replay records live. Swap it by giving `store` in the module
 * options (or by providing `DpopStore` yourself): the class doubles as the
 * injection token.
 * @publicApi
 */
export abstract class DpopStore {
  /**
   * Records a proof, atomically: resolves `true` the first time `key` is
   * seen and `false` on every later call until `expiresAt` has passed, even
   * when several callers (or instances sharing the store) race.
   * Implementations must reject (throw) when they cannot answer; the
   * verifier then refuses the proof (fail closed).
   * @param key a fixed-length hash of the proof key thumbprint and `jti`
   * @param expiresAt when the record may be forgotten, in ms since the epoch
   */
  abstract rememberProof(key: string, expiresAt: number): Promise<boolean>;
}

/** Options of {@link MemoryDpopStore}. @publicApi */
export interface MemoryDpopStoreOptions {
  /**
   * Most records held at once. When it is full of unexpired records a new
   * proof is refused (fail closed) rather than an old record dropped, which
   * would reopen a replay. Size it as peak proofs per second × (maxProofAge
   * + maxClockSkew).
   * @default 100000
   */
  maxEntries?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * An in-process replay store: a bounded map with expiry. Right for tests and
 * single-instance apps; several instances need a shared store.
 * @publicApi
 */
export class MemoryDpopStore extends DpopStore {
  private readonly records = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** No record expires before this; lets a full store refuse without a scan. */
  private earliestExpiry = Number.POSITIVE_INFINITY;

  constructor(options: MemoryDpopStoreOptions = {}) {
    super();
    const maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`MemoryDpopStore maxEntries must be a positive integer (got ${String(maxEntries)}).`);
    }
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** Number of records held, expired ones included until they are swept. */
  get size(): number {
    return this.records.size;
  }

  rememberProof(key: string, expiresAt: number): Promise<boolean> {
    try {
      return Promise.resolve(this.insertIfAbsent(key, expiresAt));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private insertIfAbsent(key: string, expiresAt: number): boolean {
    const now = this.now();
    const existing = this.records.get(key);
    if (existing !== undefined && existing > now) return false;
    if (existing === undefined && this.records.size >= this.maxEntries) this.sweep(now);
    this.records.set(key, expiresAt);
    if (expiresAt < this.earliestExpiry) this.earliestExpiry = expiresAt;
    return true;
  }

  private sweep(now: number): void {
    if (now >= this.earliestExpiry) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const [key, expiresAt] of this.records) {
        if (expiresAt <= now) this.records.delete(key);
        else if (expiresAt < earliest) earliest = expiresAt;
      }
      this.earliestExpiry = earliest;
    }
    if (this.records.size >= this.maxEntries) {
      throw new Error(`MemoryDpopStore is full (${this.maxEntries} unexpired records); raise maxEntries.`);
    }
  }
}
