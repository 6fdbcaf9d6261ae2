import { assertInteger } from '../internal/assert-options.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import { DpopStore } from './dpop-store.js';
import type { RefreshTokenBinding } from './refresh-token-binding.js';

/** Expired records an insert drops from the oldest end: more than one, so reclaiming outpaces inserting. */
const EXPIRED_PER_INSERT = 2;

/** How many live records one sweep of a full memory store looks at before it gives up. */
const SWEEP_LIVE_LIMIT = 64;

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
  private readonly bindings = new Map<string, RefreshTokenBinding>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  /**
   * No record expires before this time (ms): the expiry of the oldest record when it was last looked at, so an
   * insert walks the oldest end only once something there can have expired. Only ever too early, never too late.
   */
  private nothingExpiresBefore = Infinity;

  constructor(options: MemoryDpopStoreOptions = {}) {
    super();
    const maxEntries = options.maxEntries ?? DPOP_DEFAULTS.memoryStore.maxEntries;
    assertInteger('MemoryDpopStore', 'maxEntries', maxEntries, 1);
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** Number of records held, expired ones included until they are swept. */
  get size(): number {
    return this.records.size;
  }

  /** Rejects when full of live records. */
  rememberProof(key: string, expiresAt: number): Promise<boolean> {
    try {
      return Promise.resolve(this.insertIfAbsent(key, expiresAt));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  saveRefreshTokenBinding(binding: RefreshTokenBinding): Promise<void> {
    const now = this.now();
    if (!this.bindings.has(binding.tokenHash) && this.bindings.size >= this.maxEntries) {
      for (const [hash, existing] of this.bindings) if (existing.expiresAt <= now) this.bindings.delete(hash);
      if (this.bindings.size >= this.maxEntries) {
        return Promise.reject(new Error(`MemoryDpopStore is full (${this.maxEntries} refresh-token bindings).`));
      }
    }
    this.bindings.set(binding.tokenHash, { ...binding });
    return Promise.resolve();
  }

  findRefreshTokenBinding(tokenHash: string): Promise<RefreshTokenBinding | undefined> {
    const binding = this.bindings.get(tokenHash);
    return Promise.resolve(binding && binding.expiresAt > this.now() ? { ...binding } : undefined);
  }

  deleteRefreshTokenBinding(tokenHash: string): Promise<void> {
    this.bindings.delete(tokenHash);
    return Promise.resolve();
  }

  /**
   * Drops every expired replay record and refresh-token binding now; returns how
   * many went. Not needed for correctness (inserts reclaim expired records as they
   * go, and an expired record is never a replay); for tests, and to give memory back
   * after a burst.
   */
  prune(): number {
    const now = this.now();
    const before = this.records.size + this.bindings.size;
    for (const [key, expiresAt] of this.records) if (expiresAt <= now) this.records.delete(key);
    for (const [hash, binding] of this.bindings) if (binding.expiresAt <= now) this.bindings.delete(hash);
    this.nothingExpiresBefore = 0; // the oldest record is another one now: the next insert looks at it
    return before - this.records.size - this.bindings.size;
  }

  private insertIfAbsent(key: string, expiresAt: number): boolean {
    const now = this.now();
    if (now >= this.nothingExpiresBefore) this.dropOldestExpired(now);
    const existing = this.records.get(key);
    if (existing !== undefined && existing > now) return false;
    if (existing === undefined && this.records.size >= this.maxEntries) this.sweep(now);
    this.records.set(key, expiresAt);
    if (expiresAt < this.nothingExpiresBefore) this.nothingExpiresBefore = expiresAt;
    return true;
  }

  /**
   * Drops up to {@link EXPIRED_PER_INSERT} expired records from the oldest end (insertion order is close to
   * expiry order), so the map stays near the number of live records instead of filling to `maxEntries`
   * before anything is reclaimed. Stops at the first live record: a few expired ones behind it wait for a
   * later insert or a sweep.
   */
  private dropOldestExpired(now: number): void {
    let dropped = 0;
    for (const [key, expiresAt] of this.records) {
      if (expiresAt > now) {
        // Insertion order is only close to expiry order: a later record may expire sooner, and the next
        // insert looks again at once (`now` is past the watermark) only while one dropped here.
        this.nothingExpiresBefore = dropped === 0 ? expiresAt : now;
        return;
      }
      if (dropped === EXPIRED_PER_INSERT) return;
      this.records.delete(key);
      dropped++;
    }
    this.nothingExpiresBefore = Infinity;
  }

  /**
   * Frees room by walking the records oldest first (insertion order is close to expiry order: every
   * record lives about maxProofAge after its iat): expired ones are deleted, live ones are moved to
   * the back, and the walk stops after a few live ones, so one insert never scans the whole store.
   */
  private sweep(now: number): void {
    let live = 0;
    this.nothingExpiresBefore = 0; // the records are reordered: the next insert looks at the oldest again
    for (const [key, expiresAt] of this.records) {
      this.records.delete(key);
      if (expiresAt > now) {
        this.records.set(key, expiresAt);
        if (++live >= SWEEP_LIVE_LIMIT) break;
      }
    }
    if (this.records.size >= this.maxEntries) {
      throw new Error(`MemoryDpopStore is full (${this.maxEntries} unexpired records); raise maxEntries.`);
    }
  }
}
