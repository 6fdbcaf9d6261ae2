import { randomBytes } from 'node:crypto';
import { ASYMMETRIC_ALGORITHMS, SUPPORTED_ALGORITHMS, type DpopAlgorithm } from '../proof/algorithms.js';
import {
  assertBoolean,
  assertFunction,
  assertInteger,
  assertKnownOptions,
  assertNonEmptyString,
  assertObject,
  assertOneOf,
  assertOptionsObject,
  assertStringOrList,
  assertUrl,
  describeValue,
  optionError,
} from '../internal/assert-options.js';
import { parseHost } from '../internal/host.js';
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
  profile: true,
  jwksTimeoutMs: true,
});
const INTROSPECTION_OPTION_NAMES = names<IntrospectionAccessTokenOptions>({
  type: true,
  endpoint: true,
  clientId: true,
  clientSecret: true,
  audience: true,
  issuer: true,
  cacheSeconds: true,
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

const OWNER = 'DpopModule';

function fail(option: string, problem: string): never {
  throw optionError(OWNER, option, problem);
}

/** `value`, checked, or `fallback` when it is undefined. */
function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  assertInteger(OWNER, option, value, min, max);
  return value;
}

/** `value`, checked, or `fallback` when it is undefined. */
function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  assertBoolean(OWNER, option, value);
  return value;
}

/** `value`, checked, when it is given. */
function fn<T>(option: string, value: T | undefined, what?: string): T | undefined {
  if (value !== undefined) assertFunction(OWNER, option, value, what);
  return value as T | undefined;
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
  const nonce = value ?? {};
  assertObject(OWNER, 'nonce', nonce);
  assertKnownOptions(OWNER, nonce, NONCE_OPTION_NAMES, 'nonce.');
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

/** A string as given, a list copied and frozen. */
function stringOrList(value: string | string[]): string | string[] {
  return typeof value === 'string' ? value : (Object.freeze([...value]) as string[]);
}

/** RFC 9068 §4: `typ` is `at+jwt` or `application/at+jwt`, in any case (as jose compares it). */
const AT_JWT_TYP = /^(application\/)?at\+jwt$/i;

/** @param maxTtlSeconds `accessTokenCache.maxTtlSeconds`, the bound of every cached verification */
function accessToken(value: unknown, maxTtlSeconds: number): ResolvedDpopOptions['accessToken'] {
  if (value === undefined) return undefined;
  const options = value;
  assertObject(OWNER, 'accessToken', options);
  assertOneOf(OWNER, 'accessToken.type', options.type, ['jwt', 'introspection', 'custom']);
  switch (options.type) {
    case 'jwt': {
      assertKnownOptions(OWNER, options, JWT_OPTION_NAMES, 'accessToken.');
      if (options.issuer === undefined) fail('accessToken.issuer', 'is required for JWT access tokens');
      if (options.audience === undefined) fail('accessToken.audience', 'is required for JWT access tokens');
      if ((options.jwksUri === undefined) === (options.keys === undefined)) {
        fail('accessToken.jwksUri', 'or accessToken.keys must be given (exactly one of them)');
      }
      if (options.jwksUri !== undefined) assertUrl(OWNER, 'accessToken.jwksUri', options.jwksUri, ['https:', 'http:']);
      if (options.keys !== undefined && (!Array.isArray(options.keys) || options.keys.length === 0)) {
        fail('accessToken.keys', 'must be a non-empty array of public JWKs');
      }
      if (options.profile !== undefined) assertOneOf(OWNER, 'accessToken.profile', options.profile, ['rfc9068']);
      if (options.typ !== undefined) assertNonEmptyString(OWNER, 'accessToken.typ', options.typ);
      if (options.profile === 'rfc9068' && options.typ !== undefined && !AT_JWT_TYP.test(String(options.typ))) {
        fail(
          'accessToken.typ',
          `must be left out or be 'at+jwt' with profile 'rfc9068' (got ${describeValue(options.typ)})`,
        );
      }
      const defaults = DPOP_DEFAULTS.jwt;
      return Object.freeze({
        ...(options as unknown as JwtAccessTokenOptions),
        ...(options.profile === 'rfc9068' ? { typ: (options.typ as string | undefined) ?? 'at+jwt' } : {}),
        algorithms: [...(algorithmList('accessToken.algorithms', options.algorithms, false) ?? ASYMMETRIC_ALGORITHMS)],
        clockTolerance: integer('accessToken.clockTolerance', options.clockTolerance, defaults.clockTolerance, 0, DAY),
        jwksTimeoutMs: integer('accessToken.jwksTimeoutMs', options.jwksTimeoutMs, defaults.jwksTimeoutMs, 1, 60_000),
      });
    }
    case 'introspection': {
      assertKnownOptions(OWNER, options, INTROSPECTION_OPTION_NAMES, 'accessToken.');
      assertUrl(OWNER, 'accessToken.endpoint', options.endpoint, ['https:', 'http:']);
      assertNonEmptyString(OWNER, 'accessToken.clientId', options.clientId);
      assertNonEmptyString(OWNER, 'accessToken.clientSecret', options.clientSecret);
      if (options.audience === undefined) {
        fail(
          'accessToken.audience',
          'is required for introspection: the "aud" the introspection response must name, e.g. ' +
            "'https://api.example.com' (RFC 7662 §2.2); audience: false accepts tokens issued for any audience",
        );
      }
      if (options.audience !== false) assertStringOrList(OWNER, 'accessToken.audience', options.audience);
      if (options.issuer !== undefined) assertStringOrList(OWNER, 'accessToken.issuer', options.issuer);
      const defaults = DPOP_DEFAULTS.introspection;
      const cacheSeconds = integer('accessToken.cacheSeconds', options.cacheSeconds, defaults.cacheSeconds, 0, DAY);
      if (cacheSeconds > maxTtlSeconds) {
        fail(
          'accessToken.cacheSeconds',
          `must be at most accessTokenCache.maxTtlSeconds (${maxTtlSeconds}), the bound of every cached token (got number ${cacheSeconds})`,
        );
      }
      return Object.freeze({
        ...(options as unknown as IntrospectionAccessTokenOptions),
        audience: options.audience === false ? false : stringOrList(options.audience as string | string[]),
        ...(options.issuer === undefined ? {} : { issuer: stringOrList(options.issuer as string | string[]) }),
        cacheSeconds,
        timeoutMs: integer('accessToken.timeoutMs', options.timeoutMs, defaults.timeoutMs, 1, 60_000),
        maxBytes: integer('accessToken.maxBytes', options.maxBytes, defaults.maxBytes, 256, 1_048_576),
      });
    }
    case 'custom':
      assertKnownOptions(OWNER, options, CUSTOM_OPTION_NAMES, 'accessToken.');
      assertFunction(OWNER, 'accessToken.verify', options.verify, 'a function (token) => claims');
      return Object.freeze({ ...(options as unknown as CustomAccessTokenOptions) });
  }
}

function publicUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const parsed = assertUrl(OWNER, 'publicUrl', value, ['https:', 'http:']);
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
  const options = value;
  assertObject(OWNER, 'jku', options);
  assertKnownOptions(OWNER, options, JKU_OPTION_NAMES, 'jku.');
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
 * reads. Throws a `DpopConfigurationError` naming the first wrong option.
 * @internal
 */
export function resolveDpopOptions(options: DpopModuleOptions = {}): ResolvedDpopOptions {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, OPTION_NAMES);
  const cache = options.accessTokenCache ?? {};
  assertObject(OWNER, 'accessTokenCache', cache);
  assertKnownOptions(OWNER, cache, CACHE_OPTION_NAMES, 'accessTokenCache.');
  const d = DPOP_DEFAULTS;
  const accessTokenCache = Object.freeze({
    maxEntries: integer('accessTokenCache.maxEntries', cache.maxEntries, d.accessTokenCache.maxEntries, 0, 10_000_000),
    maxTtlSeconds: integer(
      'accessTokenCache.maxTtlSeconds',
      cache.maxTtlSeconds,
      d.accessTokenCache.maxTtlSeconds,
      0,
      DAY,
    ),
  });
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
    accessToken: accessToken(options.accessToken, accessTokenCache.maxTtlSeconds),
    accessTokenCache,
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
