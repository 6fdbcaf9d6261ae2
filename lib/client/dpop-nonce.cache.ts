/**
 * The last `DPoP-Nonce` each origin (scheme://host:port) gave, for the next
 * proof to that origin. Bounded: past `maxOrigins` the least recently
 * updated origin is forgotten.
 * @publicApi
 */
export class DpopNonceCache {
  private readonly nonces = new Map<string, string>();

  constructor(private readonly maxOrigins = 1_000) {}

  /** The nonce to send to `url`'s origin, if that origin gave one. */
  get(url: string | URL): string | undefined {
    return this.nonces.get(new URL(url).origin);
  }

  /** Remembers `nonce` for `url`'s origin. A nonce of an invalid form (RFC 9449 §8.1: NQCHAR) is ignored. */
  set(url: string | URL, nonce: string): void {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(nonce) || nonce.length > 4096) return;
    const origin = new URL(url).origin;
    this.nonces.delete(origin);
    this.nonces.set(origin, nonce);
    if (this.nonces.size > this.maxOrigins) this.nonces.delete(this.nonces.keys().next().value!);
  }

  /** Reads a response's `DPoP-Nonce` header, if any, and remembers it for `url`'s origin; returns it. */
  update(url: string | URL, headers: { get(name: string): string | null }): string | undefined {
    const nonce = headers.get('dpop-nonce') ?? undefined;
    if (nonce !== undefined) this.set(url, nonce);
    return nonce;
  }
}
