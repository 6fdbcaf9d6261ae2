/**
 * The node-redis (`redis` v5) clients the store accepts: `createClient`, `createCluster` and
 * `createSentinel` all qualify. Typed by shape so that apps with only one of the two Redis
 * libraries installed still compile.
 * @publicApi
 */
export interface NodeRedisClientLike {
  /** node-redis' per-command options (how the store tells node-redis from ioredis). */
  withCommandOptions(options: { timeout?: number }): unknown;
  /** True while the socket is open (cluster). */
  readonly isOpen: boolean;
  /** True while the client can answer (single node, Sentinel). */
  readonly isReady?: boolean;
}

/**
 * The ioredis clients the store accepts: `new Redis(…)` (single node or Sentinel) and
 * `new Cluster(…)`. Typed by shape, as {@link NodeRedisClientLike}.
 * @publicApi
 */
export interface IoRedisClientLike {
  /** ioredis' connection state; commands are sent only when it is `ready`. */
  readonly status: string;
  /** The commands used: `SET`, `GET`, `DEL` (typed loosely: ioredis overloads them). */
  set(...args: never[]): Promise<unknown>;
  get(...args: never[]): Promise<unknown>;
  del(...args: never[]): Promise<unknown>;
}

/**
 * A Redis client the app already has, from either library.
 * @publicApi
 */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

/**
 * The four single-key commands the store needs, over either client. Implementations send a
 * command only when the client is ready and reject on any error.
 * @internal
 */
export interface RedisCommands {
  /** `SET key 1 NX PX ttl`: true when the key was set, false when it existed. */
  setIfAbsent(key: string, ttlMs: number): Promise<boolean>;
  /** `setIfAbsent` for each key (ttls in the same order), answered together. */
  setEachIfAbsent(keys: readonly string[], ttlsMs: readonly number[]): Promise<boolean[]>;
  /** `SET key value PX ttl`. */
  setWithTtl(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** Closes the client (only for clients the store created). */
  close(): Promise<void>;
}

/** Thrown (and turned into a 503 by the verifier) when the client cannot send now. @internal */
export function notReady(): Error {
  return new Error('RedisDpopStore: the Redis client is not connected');
}

/** @internal */
export function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  return typeof (client as NodeRedisClientLike | null)?.withCommandOptions === 'function';
}

/** @internal */
export function isIoRedis(client: unknown): client is IoRedisClientLike {
  const candidate = client as IoRedisClientLike | null;
  return typeof candidate?.status === 'string' && typeof candidate.set === 'function';
}
