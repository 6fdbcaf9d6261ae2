import { randomBytes } from 'node:crypto';
import { ASYMMETRIC_ALGORITHMS, SUPPORTED_ALGORITHMS, type DpopAlgorithm } from '../proof/algorithms.js';
import { DpopConfigurationError } from '../dpop.errors.js';
import { parseHost } from '../http/host.js';
import type { DpopModuleOptions, DpopNonceOptions } from './dpop-module-options.interface.js';
import type { DpopStore } from '../storage/dpop-store.js';
import type {
  CustomAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  JwtAccessTokenOptions,
} from '../access-token/access-token.interface.js';
import type { JkuOptions } from '../confirmation/jku-fetcher.js';
import { DPOP_DEFAULTS } from './dpop-default-options.js';
import type { ResolvedDpopOptions, ResolvedJkuOptions } from './resolved-dpop-options.interface.js';

/** The names of an options interface; `satisfies` makes the compiler check the list both ways. */
function names<T>(members: Record<keyof T, true>): readonly string[] {
  return Object.keys(members);
}

const OPTION_NAMES = names<DpopModuleOptions>({
  algorithms: true,
  maxProofLength: true,
  maxJtiLength: true,
  maxProofAge: true,
  maxClockSkew: true,
  requireAth: true,
  nonce: true,
  keyCacheSize: true,
  store: true,
  now: true,
  accessToken: true,
  accessTokenCache: true,
  maxAccessTokenLength: true,
  publicUrl: true,
  trustProxy: true,
  allowedHosts: true,
  protectAllRoutes: true,
  yieldToEventLoop: true,
  resolveKid: true,
  jku: true,
});
const NONCE_OPTION_NAMES = names<DpopNonceOptions>({
  required: true,
  secret: true,
  stepSeconds: true,
  acceptedSteps: true,
});
const CACHE_OPTION_NAMES = names<NonNullable<DpopModuleOptions['accessTokenCache']>>({
  maxEntries: true,
  maxTtlSeconds: true,
});
const JWT_OPTION_NAMES = names<JwtAccessTokenOptions>({
  type: true,
  issuer: true,
  audience: true,
  jwksUri: true,
  keys: true,
  algorithms: true,
  clockTolerance: true,
  typ: true,
  jwksTimeoutMs: true,
});
const INTROSPECTION_OPTION_NAMES = names<IntrospectionAccessTokenOptions>({
  type: true,
  endpoint: true,
  clientId: true,
  clientSecret: true,
  timeoutMs: true,
  maxBytes: true,
  ca: true,
});
const CUSTOM_OPTION_NAMES = names<CustomAccessTokenOptions>({ type: true, verify: true });
const JKU_OPTION_NAMES = names<JkuOptions>({
  allowedHosts: true,
  timeoutMs: true,
  maxBytes: true,
  cacheSeconds: true,
  ca: true,
});

const MIN_NONCE_SECRET_BYTES = 32;
const DAY = 86_400;

function fail(option: string, problem: string): never {
  throw new DpopConfigurationError(`DpopModule option "${option}" ${problem}.`);
}

/** A short, safe description of a wrong value for an error message. @internal */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function object(option: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, `must be an object (got ${describeValue(value)})`);
  }
  return value as Record<string, unknown>;
}

function known(given: object, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key)) {
      fail(`${prefix}${key}`, `is not an option; known options are ${allowed.map((k) => prefix + k).join(', ')}`);
    }
  }
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be an integer from ${min} to ${max} (got ${describeValue(value)})`);
  }
  return value;
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, `must be true or false (got ${describeValue(value)})`);
  return value;
}

function fn<T>(option: string, value: T | undefined, what = 'a function'): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(option, `must be ${what} (got ${describeValue(value)})`);
  return value;
}

function nonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(option, `must be a non-empty string (got ${describeValue(value)})`);
  }
  return value;
}

function url(option: string, value: unknown, protocols: string[]): URL {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol)) {
    const names = protocols.map((p) => p.slice(0, -1)).join(' or ');
    fail(option, `must be an absolute ${names} URL (got ${describeValue(value)})`);
  }
  return parsed;
}

function algorithmList(option: string, value: unknown, hintDpop: boolean): readonly DpopAlgorithm[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    fail(option, `must be a non-empty array of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  }
  for (const alg of value) {
    if (typeof alg !== 'string' || !Object.hasOwn(SUPPORTED_ALGORITHMS, alg)) {
      const symmetric = /^(none|HS\d+)$/i.test(String(alg));
      const hint =
        symmetric && hintDpop ? '; DPoP proofs must use an asymmetric signature algorithm (RFC 9449 §4.2)' : '';
      fail(option, `contains ${describeValue(alg)}, which is not one of ${ASYMMETRIC_ALGORITHMS.join(', ')}${hint}`);
    }
  }
  return Object.freeze([...new Set(value as DpopAlgorithm[])]);
}

function nonceOptions(value: unknown): ResolvedDpopOptions['nonce'] {
  const nonce = object('nonce', value ?? {});
  known(nonce, NONCE_OPTION_NAMES, 'nonce.');
  let secret: Uint8Array | undefined;
  if (nonce.secret !== undefined) {
    const given = nonce.secret;
    const bytes =
      typeof given === 'string' ? new TextEncoder().encode(given) : given instanceof Uint8Array ? given : undefined;
    if (!bytes) fail('nonce.secret', `must be a string or a Uint8Array (got ${describeValue(given)})`);
    if (bytes.length < MIN_NONCE_SECRET_BYTES) {
      fail('nonce.secret', `must be at least ${MIN_NONCE_SECRET_BYTES} bytes long (got ${bytes.length})`);
    }
    secret = Uint8Array.from(bytes);
  }
  const defaults = DPOP_DEFAULTS.nonce;
  return Object.freeze({
    required: boolean('nonce.required', nonce.required, defaults.required),
    secret: secret ?? new Uint8Array(randomBytes(32)),
    generatedSecret: secret === undefined,
    stepSeconds: integer('nonce.stepSeconds', nonce.stepSeconds, defaults.stepSeconds, 1, DAY),
    acceptedSteps: integer('nonce.acceptedSteps', nonce.acceptedSteps, defaults.acceptedSteps, 1, 100),
  });
}

function store(value: unknown): DpopStore | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as DpopStore).rememberProof !== 'function') {
    fail('store', `must be a DpopStore instance, e.g. new MemoryDpopStore() (got ${describeValue(value)})`);
  }
  return value as DpopStore;
}

function accessToken(value: unknown): ResolvedDpopOptions['accessToken'] {
  if (value === undefined) return undefined;
  const options = object('accessToken', value);
  switch (options.type) {
    case 'jwt': {
      known(options, JWT_OPTION_NAMES, 'accessToken.');
      if (options.issuer === undefined) fail('accessToken.issuer', 'is required for JWT access tokens');
      if (options.audience === undefined) fail('accessToken.audience', 'is required for JWT access tokens');
      if ((options.jwksUri === undefined) === (options.keys === undefined)) {
        fail('accessToken.jwksUri', 'or accessToken.keys must be given (exactly one of them)');
      }
      if (options.jwksUri !== undefined) url('accessToken.jwksUri', options.jwksUri, ['https:', 'http:']);
      if (options.keys !== undefined && (!Array.isArray(options.keys) || options.keys.length === 0)) {
        fail('accessToken.keys', 'must be a non-empty array of public JWKs');
      }
      const defaults = DPOP_DEFAULTS.jwt;
      return Object.freeze({
        ...(options as unknown as JwtAccessTokenOptions),
        algorithms: [...(algorithmList('accessToken.algorithms', options.algorithms, false) ?? ASYMMETRIC_ALGORITHMS)],
        clockTolerance: integer('accessToken.clockTolerance', options.clockTolerance, defaults.clockTolerance, 0, DAY),
        jwksTimeoutMs: integer('accessToken.jwksTimeoutMs', options.jwksTimeoutMs, defaults.jwksTimeoutMs, 1, 60_000),
      });
    }
    case 'introspection': {
      known(options, INTROSPECTION_OPTION_NAMES, 'accessToken.');
      url('accessToken.endpoint', options.endpoint, ['https:', 'http:']);
      nonEmptyString('accessToken.clientId', options.clientId);
      nonEmptyString('accessToken.clientSecret', options.clientSecret);
      const defaults = DPOP_DEFAULTS.introspection;
      return Object.freeze({
        ...(options as unknown as IntrospectionAccessTokenOptions),
        timeoutMs: integer('accessToken.timeoutMs', options.timeoutMs, defaults.timeoutMs, 1, 60_000),
        maxBytes: integer('accessToken.maxBytes', options.maxBytes, defaults.maxBytes, 256, 1_048_576),
      });
    }
    case 'custom':
      known(options, CUSTOM_OPTION_NAMES, 'accessToken.');
      if (typeof options.verify !== 'function') fail('accessToken.verify', 'must be a function (token) => claims');
      return Object.freeze({ ...(options as unknown as CustomAccessTokenOptions) });
    default:
      fail('accessToken.type', `must be 'jwt', 'introspection' or 'custom' (got ${describeValue(options.type)})`);
  }
}

function publicUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const parsed = url('publicUrl', value, ['https:', 'http:']);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    fail('publicUrl', 'must have no query, fragment or credentials');
  }
  return (value as string).replace(/\/+$/, '');
}

function allowedHosts(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    fail(
      'allowedHosts',
      `must be a non-empty array of host names, e.g. ['api.example.com'] (got ${describeValue(value)})`,
    );
  }
  return Object.freeze(
    value.map((entry) => {
      const parsed = typeof entry === 'string' ? parseHost(entry) : undefined;
      if (!parsed) {
        fail('allowedHosts', `contains ${describeValue(entry)}, which is not a host name with an optional port`);
      }
      return parsed.port === undefined ? parsed.host : `${parsed.host}:${parsed.port}`;
    }),
  );
}

function jku(value: unknown): ResolvedJkuOptions | undefined {
  if (value === undefined) return undefined;
  const options = object('jku', value);
  known(options, JKU_OPTION_NAMES, 'jku.');
  if (!Array.isArray(options.allowedHosts) || options.allowedHosts.some((h) => typeof h !== 'string' || h === '')) {
    fail('jku.allowedHosts', 'must be an array of host names');
  }
  const defaults = DPOP_DEFAULTS.jku;
  return Object.freeze({
    ...(options as unknown as JkuOptions),
    allowedHosts: Object.freeze((options.allowedHosts as string[]).map((host) => host.toLowerCase())) as string[],
    timeoutMs: integer('jku.timeoutMs', options.timeoutMs, defaults.timeoutMs, 1, 60_000),
    maxBytes: integer('jku.maxBytes', options.maxBytes, defaults.maxBytes, 256, 1_048_576),
    cacheSeconds: integer('jku.cacheSeconds', options.cacheSeconds, defaults.cacheSeconds, 0, DAY),
  });
}

/**
 * Merges {@link DPOP_DEFAULTS} into `options`, checks every value (nested ones
 * included) and returns the result, read-only: what every part of the module
 * reads. Throws a {@link DpopConfigurationError} naming the first wrong option.
 * @internal
 */
export function resolveDpopOptions(options: DpopModuleOptions = {}): ResolvedDpopOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new DpopConfigurationError(`DpopModule options must be an object (got ${describeValue(options)}).`);
  }
  known(options, OPTION_NAMES, '');
  const cache = object('accessTokenCache', options.accessTokenCache ?? {});
  known(cache, CACHE_OPTION_NAMES, 'accessTokenCache.');
  const d = DPOP_DEFAULTS;
  return Object.freeze({
    algorithms: algorithmList('algorithms', options.algorithms, true) ?? d.algorithms,
    maxProofLength: integer('maxProofLength', options.maxProofLength, d.maxProofLength, 256, 65_536),
    maxJtiLength: integer('maxJtiLength', options.maxJtiLength, d.maxJtiLength, 16, 4096),
    maxProofAge: integer('maxProofAge', options.maxProofAge, d.maxProofAge, 1, DAY),
    maxClockSkew: integer('maxClockSkew', options.maxClockSkew, d.maxClockSkew, 0, DAY),
    requireAth: boolean('requireAth', options.requireAth, d.requireAth),
    nonce: nonceOptions(options.nonce),
    keyCacheSize: integer('keyCacheSize', options.keyCacheSize, d.keyCacheSize, 0, 1_000_000),
    urlCacheSize: d.urlCacheSize,
    store: store(options.store),
    memoryStore: d.memoryStore,
    now: fn('now', options.now, 'a function returning milliseconds since the epoch') ?? Date.now,
    accessToken: accessToken(options.accessToken),
    accessTokenCache: Object.freeze({
      maxEntries: integer(
        'accessTokenCache.maxEntries',
        cache.maxEntries,
        d.accessTokenCache.maxEntries,
        0,
        10_000_000,
      ),
      maxTtlSeconds: integer(
        'accessTokenCache.maxTtlSeconds',
        cache.maxTtlSeconds,
        d.accessTokenCache.maxTtlSeconds,
        0,
        DAY,
      ),
    }),
    maxAccessTokenLength: integer(
      'maxAccessTokenLength',
      options.maxAccessTokenLength,
      d.maxAccessTokenLength,
      64,
      1_048_576,
    ),
    publicUrl: publicUrl(options.publicUrl),
    trustProxy: boolean('trustProxy', options.trustProxy, d.trustProxy),
    allowedHosts: allowedHosts(options.allowedHosts),
    protectAllRoutes: boolean('protectAllRoutes', options.protectAllRoutes, d.protectAllRoutes),
    yieldToEventLoop: boolean('yieldToEventLoop', options.yieldToEventLoop, d.yieldToEventLoop),
    resolveKid: fn('resolveKid', options.resolveKid),
    jku: jku(options.jku),
  });
}
