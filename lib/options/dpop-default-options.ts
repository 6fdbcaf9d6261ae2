import { ASYMMETRIC_ALGORITHMS } from '../proof/algorithms.js';

const DAY = 86_400;

/**
 * Every default of the library, in one place: the module's, the decorators',
 * the stores' and the client's (`client`, which `nestjs-dpop/client` exports as
 * `DPOP_CLIENT_DEFAULTS`). Option resolution merges these into what the
 * application gives; nothing else states a default. Imports nothing but the
 * algorithm list, so every entry (`./client`, `./redis`, `./typeorm`) may load it.
 * @internal
 */
export const DPOP_DEFAULTS = deepFreeze({
  algorithms: ASYMMETRIC_ALGORITHMS,
  maxProofLength: 8192,
  maxJtiLength: 256,
  maxProofAge: 60,
  maxClockSkew: 30,
  requireAth: true,
  nonce: { required: false, stepSeconds: 60, acceptedSteps: 3 },
  keyCacheSize: 1000,
  /** How many request URLs keep their normalised form cached. */
  urlCacheSize: 1000,
  memoryStore: { maxEntries: 100_000 },
  redisStore: { keyPrefix: 'dpop:', commandTimeoutMs: 1000, maxPendingCommands: 10_000, connectTimeoutMs: 5000 },
  typeOrmStore: {
    pruneIntervalSeconds: 60,
    pruneBatchSize: 1000,
    maxPruneBatches: 100,
    groupCommit: true,
    queryTimeoutMs: 1000,
    sqliteFile: '.data/dpop.sqlite',
  },
  accessTokenCache: { maxEntries: 10_000, maxTtlSeconds: 300 },
  maxAccessTokenLength: 16_384,
  trustProxy: false,
  protectAllRoutes: false,
  yieldToEventLoop: true,
  jwt: { clockTolerance: 5, jwksTimeoutMs: 3000 },
  introspection: { timeoutMs: 3000, maxBytes: 65_536, cacheSeconds: 0 },
  jku: { timeoutMs: 3000, maxBytes: 65_536, cacheSeconds: 300 },
  bound: { allowBearer: false },
  healthCheck: { timeoutMs: 1000 },
  tokenEndpoint: { requireProof: false, bindRefreshTokens: 'public', refreshTokenLifetime: 14 * DAY },
  parEndpoint: { requireProof: false },
  client: {
    key: { generate: 'ES256' },
    discovery: 'auto',
    refreshBeforeExpirySeconds: 30,
    defaultTokenLifetimeSeconds: 60,
    authorizationServerTimeoutMs: 10_000,
    maxNonceOrigins: 1_000,
    maxTokenResponseBytes: 65_536,
    allowInsecureRequests: false,
    followCrossOriginRedirects: false,
  },
} as const);

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) if (typeof member === 'object') deepFreeze(member as object);
  return Object.freeze(value);
}
