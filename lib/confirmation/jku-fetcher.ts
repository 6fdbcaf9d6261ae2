import { fetchLimited, type FetchLimits } from '../internal/limited-fetch.js';
import { ConfirmationError } from './confirmation.js';

/** Options of the `cnf.jku` fetcher (RFC 7800 §3.5). @publicApi */
export interface JkuOptions {
  /** Hosts (exact, lower-case) a `jku` may point at. Empty: `jku` is refused. */
  allowedHosts: string[];
  /** @default 3000 */
  timeoutMs?: number;
  /** Largest JWK set accepted, in bytes. @default 65536 */
  maxBytes?: number;
  /** How long a fetched set is reused, in seconds. @default 300 */
  cacheSeconds?: number;
  /** Extra CA certificates (PEM) to trust for these hosts. */
  ca?: string | Buffer | (string | Buffer)[];
}

/**
 * Fetches `cnf.jku` JWK sets: HTTPS only, allow-listed hosts, bounded time
 * and size, cached, at most one fetch in flight per URL.
 * @internal
 */
export class JkuFetcher {
  private readonly cache = new Map<string, { expiresAt: number; keys: Promise<{ keys: unknown[] }> }>();
  private readonly limits: FetchLimits;
  private readonly allowedHosts: Set<string>;
  private readonly cacheMs: number;

  constructor(
    options: JkuOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.allowedHosts = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
    this.limits = { timeoutMs: options.timeoutMs ?? 3000, maxBytes: options.maxBytes ?? 65_536, ca: options.ca };
    this.cacheMs = (options.cacheSeconds ?? 300) * 1000;
  }

  fetchJwks = (url: URL): Promise<{ keys: unknown[] }> => {
    if (url.protocol !== 'https:') return Promise.reject(new ConfirmationError('cnf.jku must be an https URL'));
    if (!this.allowedHosts.has(url.host.toLowerCase()) && !this.allowedHosts.has(url.hostname.toLowerCase())) {
      return Promise.reject(new ConfirmationError('cnf.jku host is not allowed'));
    }
    const key = url.href;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.keys;
    const keys = this.load(url);
    if (this.cache.size >= 100) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { expiresAt: this.now() + this.cacheMs, keys });
    keys.catch(() => this.cache.delete(key)); // do not keep failures
    return keys;
  };

  private async load(url: URL): Promise<{ keys: unknown[] }> {
    // An unreachable or failing key server is an outage (refused with 503), not a bad token.
    const response = await fetchLimited(url, this.limits).catch((error: unknown) => {
      if (error instanceof Error && /larger than/.test(error.message))
        throw new ConfirmationError('cnf.jku set is too large');
      throw new Error('cnf.jku could not be fetched', { cause: error });
    });
    if (response.status !== 200) throw new Error(`cnf.jku answered ${response.status}`);
    let set: unknown;
    try {
      set = JSON.parse(response.body);
    } catch {
      throw new ConfirmationError('cnf.jku is not a JWK set');
    }
    const keys = (set as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 100)
      throw new ConfirmationError('cnf.jku is not a JWK set');
    return { keys };
  }
}
