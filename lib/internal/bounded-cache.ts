/**
 * A map with a fixed capacity and an optional expiry per entry: when full,
 * the oldest entry goes (first in, first out); an expired entry is never
 * returned. One utility for every cache of the library (imported keys,
 * request URLs, verified access tokens, `jku` sets), so each is bounded the
 * same way. `get` is a plain `Map` lookup: it stays on the hot path.
 * @internal
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  /**
   * @param capacity most entries kept; 0 keeps nothing
   * @param now the clock for expiries, in ms since the epoch
   */
  constructor(
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`BoundedCache capacity must be a non-negative integer (got ${String(capacity)}).`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`, or undefined when absent or expired (an expired entry is dropped). */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== Infinity && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms since the epoch; default: no expiry), evicting the oldest entry when full. */
  set(key: K, value: V, expiresAt = Infinity): void {
    if (this.capacity === 0) return;
    if (!this.entries.delete(key) && this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
