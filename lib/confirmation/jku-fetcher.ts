import { ConfirmationError, DpopUnavailableError } from '../dpop.errors.js';
import { BoundedCache } from '../internal/bounded-cache.js';
import { fetchLimited, LimitedFetchError, type FetchLimits } from '../internal/limited-fetch.js';
import { isObject } from '../internal/json.js';

/** Options of the `cnf.jku` fetcher (RFC 7800 §3.5). @publicApi */
export interface JkuOptions {
  /** Hosts (exact, lower-case) a `jku` may point at. Empty: `jku` is refused. */
  allowedHosts: string[];
  /** How long to wait for a set, in ms; a server that does not answer is a 503. @default 3000 */
  timeoutMs?: number;
  /** Largest JWK set accepted, in bytes. @default 65536 */
  maxBytes?: number;
  /** How long a fetched set is reused, in seconds. @default 300 */
  cacheSeconds?: number;
  /** Extra CA certificates (PEM) to trust for these hosts. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Most JWK sets kept at once, and most keys in one set. */
const MAX_CACHED_SETS = 100;
const MAX_KEYS = 100;

/**
 * Fetches `cnf.jku` JWK sets: HTTPS only, allow-listed hosts, bounded time
 * and size, cached, at most one fetch in flight per URL.
 * @internal
 */
export class JkuFetcher {
  private readonly cache: BoundedCache<string, Promise<{ keys: unknown[] }>>;
  private readonly limits: FetchLimits;
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly cacheMs: number;

  /** @param options resolved options (every limit set) */
  constructor(
    options: Required<Pick<JkuOptions, 'allowedHosts' | 'timeoutMs' | 'maxBytes' | 'cacheSeconds'>> &
      Pick<JkuOptions, 'ca'>,
    private readonly now: () => number = Date.now,
  ) {
    this.allowedHosts = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
    this.limits = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, ca: options.ca };
    this.cacheMs = options.cacheSeconds * 1000;
    this.cache = new BoundedCache(MAX_CACHED_SETS, now);
  }

  fetchJwks = (url: URL): Promise<{ keys: unknown[] }> => {
    if (url.protocol !== 'https:') return Promise.reject(new ConfirmationError('cnf.jku must be an https URL'));
    if (!this.allowedHosts.has(url.host.toLowerCase()) && !this.allowedHosts.has(url.hostname.toLowerCase())) {
      return Promise.reject(new ConfirmationError('cnf.jku host is not allowed'));
    }
    const key = url.href;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const keys = this.load(url);
    this.cache.set(key, keys, this.now() + this.cacheMs);
    keys.catch(() => this.cache.delete(key)); // do not keep failures
    return keys;
  };

  private async load(url: URL): Promise<{ keys: unknown[] }> {
    // An unreachable or failing key server is an outage (refused with 503), not a bad token.
    const response = await fetchLimited(url, this.limits).catch((error: unknown) => {
      if (error instanceof LimitedFetchError && error.reason === 'too_large') {
        throw new ConfirmationError('cnf.jku set is too large');
      }
      throw new DpopUnavailableError('cnf.jku could not be fetched', { cause: error });
    });
    if (response.status !== 200) throw new DpopUnavailableError(`cnf.jku answered ${response.status}`);
    let set: unknown;
    try {
      set = JSON.parse(response.body);
    } catch {
      throw new ConfirmationError('cnf.jku is not a JWK set');
    }
    const keys = isObject(set) ? set.keys : undefined;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
      throw new ConfirmationError('cnf.jku is not a JWK set');
    }
    return { keys };
  }
}
