import { randomBytes } from 'node:crypto';
import { ASYMMETRIC_ALGORITHMS, SUPPORTED_ALGORITHMS, type DpopAlgorithm } from '../proof/algorithms.js';
import { DpopConfigurationError } from '../dpop.errors.js';
import type { DpopModuleOptions } from './dpop-module-options.interface.js';
import type { DpopStore } from '../storage/dpop-store.js';
import type { AccessTokenOptions } from '../resource-server/access-token/access-token.interface.js';
import type { JkuOptions } from '../confirmation/jku-fetcher.js';

/**
 * Options after defaults are merged and every value is checked.
 * @publicApi
 */
export interface ResolvedDpopOptions {
  readonly algorithms: readonly DpopAlgorithm[];
  readonly maxProofLength: number;
  readonly maxJtiLength: number;
  readonly maxProofAge: number;
  readonly maxClockSkew: number;
  readonly requireAth: boolean;
  readonly nonce: {
    readonly required: boolean;
    readonly secret: Uint8Array;
    /** True when no secret was configured and a random one was made. */
    readonly generatedSecret: boolean;
    readonly stepSeconds: number;
    readonly acceptedSteps: number;
  };
  readonly keyCacheSize: number;
  readonly store?: DpopStore;
  readonly now: () => number;
  readonly accessToken?: AccessTokenOptions;
  readonly accessTokenCache: { readonly maxEntries: number; readonly maxTtlSeconds: number };
  readonly maxAccessTokenLength: number;
  /** `publicUrl` without a trailing slash. */
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  readonly resolveKid?: DpopModuleOptions['resolveKid'];
  readonly jku?: JkuOptions;
}

/** The default values, in one place. @publicApi */
export const DPOP_DEFAULTS = Object.freeze({
  algorithms: Object.freeze([...ASYMMETRIC_ALGORITHMS]),
  maxProofLength: 8192,
  maxJtiLength: 256,
  maxProofAge: 60,
  maxClockSkew: 30,
  requireAth: true,
  nonce: Object.freeze({ required: false, stepSeconds: 60, acceptedSteps: 3 }),
  keyCacheSize: 1000,
  memoryStoreMaxEntries: 100_000,
  accessTokenCache: Object.freeze({ maxEntries: 10_000, maxTtlSeconds: 300 }),
  maxAccessTokenLength: 16_384,
  trustProxy: false,
});

const OPTION_NAMES = [
  'algorithms',
  'maxProofLength',
  'maxJtiLength',
  'maxProofAge',
  'maxClockSkew',
  'requireAth',
  'nonce',
  'keyCacheSize',
  'store',
  'now',
  'accessToken',
  'accessTokenCache',
  'maxAccessTokenLength',
  'publicUrl',
  'trustProxy',
  'resolveKid',
  'jku',
] as const satisfies readonly (keyof DpopModuleOptions)[];
const NONCE_OPTION_NAMES = ['required', 'secret', 'stepSeconds', 'acceptedSteps'] as const;

const MIN_NONCE_SECRET_BYTES = 32;

function fail(option: string, problem: string): never {
  throw new DpopConfigurationError(`DpopModule option "${option}" ${problem}.`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function checkUnknownKeys(given: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      fail(`${prefix}${key}`, `is not an option; known options are ${known.map((k) => prefix + k).join(', ')}`);
    }
  }
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be an integer from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, `must be true or false (got ${describe(value)})`);
  return value;
}

function algorithms(value: unknown): readonly DpopAlgorithm[] {
  if (value === undefined) return DPOP_DEFAULTS.algorithms;
  if (!Array.isArray(value) || value.length === 0) {
    fail('algorithms', `must be a non-empty array of ${Object.keys(SUPPORTED_ALGORITHMS).join(', ')}`);
  }
  for (const alg of value) {
    if (typeof alg !== 'string' || !Object.hasOwn(SUPPORTED_ALGORITHMS, alg)) {
      const hint = /^(none|HS\d+)$/i.test(String(alg))
        ? '; DPoP proofs must use an asymmetric signature algorithm (RFC 9449 §4.2)'
        : '';
      fail(
        'algorithms',
        `contains ${describe(alg)}, which is not one of ${Object.keys(SUPPORTED_ALGORITHMS).join(', ')}${hint}`,
      );
    }
  }
  return Object.freeze([...new Set(value as DpopAlgorithm[])]);
}

function nonceSecret(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes =
    typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : undefined;
  if (!bytes) fail('nonce.secret', `must be a string or a Uint8Array (got ${describe(value)})`);
  if (bytes.length < MIN_NONCE_SECRET_BYTES) {
    fail('nonce.secret', `must be at least ${MIN_NONCE_SECRET_BYTES} bytes long (got ${bytes.length})`);
  }
  return Uint8Array.from(bytes);
}

function fn<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(option, `must be a function (got ${describe(value)})`);
  return value;
}

function store(value: unknown): DpopStore | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as DpopStore).rememberProof !== 'function') {
    fail('store', `must be a DpopStore instance, e.g. new MemoryDpopStore() (got ${describe(value)})`);
  }
  return value as DpopStore;
}

function url(option: string, value: unknown, protocols: string[]): URL {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol)) {
    fail(
      option,
      `must be an absolute ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL (got ${describe(value)})`,
    );
  }
  return parsed;
}

function object(option: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, `must be an object (got ${describe(value)})`);
  }
  return value as Record<string, unknown>;
}

function nonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    fail(option, `must be a non-empty string (got ${describe(value)})`);
  return value;
}

function accessToken(value: unknown): AccessTokenOptions | undefined {
  if (value === undefined) return undefined;
  const options = object('accessToken', value);
  switch (options.type) {
    case 'jwt': {
      checkUnknownKeys(
        options,
        ['type', 'issuer', 'audience', 'jwksUri', 'keys', 'algorithms', 'clockTolerance', 'typ'],
        'accessToken.',
      );
      if (options.issuer === undefined) fail('accessToken.issuer', 'is required for JWT access tokens');
      if (options.audience === undefined) fail('accessToken.audience', 'is required for JWT access tokens');
      if ((options.jwksUri === undefined) === (options.keys === undefined)) {
        fail('accessToken.jwksUri', 'or accessToken.keys must be given (exactly one of them)');
      }
      if (options.jwksUri !== undefined) url('accessToken.jwksUri', options.jwksUri, ['https:', 'http:']);
      if (options.keys !== undefined && (!Array.isArray(options.keys) || options.keys.length === 0)) {
        fail('accessToken.keys', 'must be a non-empty array of public JWKs');
      }
      break;
    }
    case 'introspection':
      checkUnknownKeys(options, ['type', 'endpoint', 'clientId', 'clientSecret', 'timeoutMs', 'ca'], 'accessToken.');
      url('accessToken.endpoint', options.endpoint, ['https:', 'http:']);
      nonEmptyString('accessToken.clientId', options.clientId);
      nonEmptyString('accessToken.clientSecret', options.clientSecret);
      integer('accessToken.timeoutMs', options.timeoutMs, 3000, 1, 60_000);
      break;
    case 'custom':
      checkUnknownKeys(options, ['type', 'verify'], 'accessToken.');
      if (typeof options.verify !== 'function') fail('accessToken.verify', 'must be a function (token) => claims');
      break;
    default:
      fail('accessToken.type', `must be 'jwt', 'introspection' or 'custom' (got ${describe(options.type)})`);
  }
  return Object.freeze({ ...options }) as unknown as AccessTokenOptions;
}

function publicUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const parsed = url('publicUrl', value, ['https:', 'http:']);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    fail('publicUrl', 'must have no query, fragment or credentials');
  }
  return (value as string).replace(/\/+$/, '');
}

function jku(value: unknown): JkuOptions | undefined {
  if (value === undefined) return undefined;
  const options = object('jku', value);
  checkUnknownKeys(options, ['allowedHosts', 'timeoutMs', 'maxBytes', 'cacheSeconds', 'ca'], 'jku.');
  if (
    !Array.isArray(options.allowedHosts) ||
    options.allowedHosts.some((host) => typeof host !== 'string' || host === '')
  ) {
    fail('jku.allowedHosts', 'must be an array of host names');
  }
  integer('jku.timeoutMs', options.timeoutMs, 3000, 1, 60_000);
  integer('jku.maxBytes', options.maxBytes, 65_536, 256, 1_048_576);
  integer('jku.cacheSeconds', options.cacheSeconds, 300, 0, 86_400);
  return Object.freeze({ ...options }) as unknown as JkuOptions;
}

/**
 * Merges the defaults into `options` and checks every value. Throws a
 * {@link DpopConfigurationError} naming the first wrong option.
 * @publicApi
 */
export function resolveDpopOptions(options: DpopModuleOptions = {}): ResolvedDpopOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new DpopConfigurationError(`DpopModule options must be an object (got ${describe(options)}).`);
  }
  checkUnknownKeys(options, OPTION_NAMES, '');
  const nonce = options.nonce ?? {};
  if (typeof nonce !== 'object' || nonce === null || Array.isArray(nonce)) {
    fail('nonce', `must be an object (got ${describe(nonce)})`);
  }
  checkUnknownKeys(nonce, NONCE_OPTION_NAMES, 'nonce.');
  if (options.now !== undefined && typeof options.now !== 'function') {
    fail('now', `must be a function returning milliseconds since the epoch (got ${describe(options.now)})`);
  }
  const secret = nonceSecret(nonce.secret);
  const day = 86_400;
  return Object.freeze({
    algorithms: algorithms(options.algorithms),
    maxProofLength: integer('maxProofLength', options.maxProofLength, DPOP_DEFAULTS.maxProofLength, 256, 65_536),
    maxJtiLength: integer('maxJtiLength', options.maxJtiLength, DPOP_DEFAULTS.maxJtiLength, 16, 4096),
    maxProofAge: integer('maxProofAge', options.maxProofAge, DPOP_DEFAULTS.maxProofAge, 1, day),
    maxClockSkew: integer('maxClockSkew', options.maxClockSkew, DPOP_DEFAULTS.maxClockSkew, 0, day),
    requireAth: boolean('requireAth', options.requireAth, DPOP_DEFAULTS.requireAth),
    nonce: Object.freeze({
      required: boolean('nonce.required', nonce.required, DPOP_DEFAULTS.nonce.required),
      secret: secret ?? new Uint8Array(randomBytes(32)),
      generatedSecret: secret === undefined,
      stepSeconds: integer('nonce.stepSeconds', nonce.stepSeconds, DPOP_DEFAULTS.nonce.stepSeconds, 1, day),
      acceptedSteps: integer('nonce.acceptedSteps', nonce.acceptedSteps, DPOP_DEFAULTS.nonce.acceptedSteps, 1, 100),
    }),
    keyCacheSize: integer('keyCacheSize', options.keyCacheSize, DPOP_DEFAULTS.keyCacheSize, 0, 1_000_000),
    store: store(options.store),
    now: options.now ?? Date.now,
    accessToken: accessToken(options.accessToken),
    accessTokenCache: Object.freeze({
      maxEntries: integer(
        'accessTokenCache.maxEntries',
        options.accessTokenCache?.maxEntries,
        DPOP_DEFAULTS.accessTokenCache.maxEntries,
        0,
        10_000_000,
      ),
      maxTtlSeconds: integer(
        'accessTokenCache.maxTtlSeconds',
        options.accessTokenCache?.maxTtlSeconds,
        DPOP_DEFAULTS.accessTokenCache.maxTtlSeconds,
        0,
        86_400,
      ),
    }),
    maxAccessTokenLength: integer(
      'maxAccessTokenLength',
      options.maxAccessTokenLength,
      DPOP_DEFAULTS.maxAccessTokenLength,
      64,
      1_048_576,
    ),
    publicUrl: publicUrl(options.publicUrl),
    trustProxy: boolean('trustProxy', options.trustProxy, DPOP_DEFAULTS.trustProxy),
    resolveKid: fn('resolveKid', options.resolveKid),
    jku: jku(options.jku),
  });
}
