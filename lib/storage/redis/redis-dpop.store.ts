import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { DpopStore } from '../dpop-store.js';
import type { RefreshTokenBinding } from '../refresh-token-binding.js';
import { IoRedisCommands } from './ioredis.commands.js';
import { NodeRedisCommands } from './node-redis.commands.js';
import { isIoRedis, isNodeRedis, type RedisClientLike, type RedisCommands } from './redis-client.js';
import type { ProofRecord } from '../../proof/proof-replay-store.js';
import { FixedTimeouts } from '../fixed-timeouts.js';
import { connectRedis, type RedisClientLibrary } from './redis-connect.js';
import { BASE64URL_SHA256 } from '../../internal/patterns.js';
import { assertInteger, assertOneOf, describeValue, optionError } from '../../internal/assert-options.js';
import { DPOP_DEFAULTS } from '../../options/dpop-default-options.js';

/** Options of {@link RedisDpopStore}. @publicApi */
export interface RedisDpopStoreOptions {
  /**
   * Prepended to every key: replay records are `<prefix>proof:<hash>`, bindings
   * `<prefix>rt:<hash>`. Printable ASCII without spaces, at most 64 characters. Leave out `{…}`
   * (a Redis Cluster hash tag would put every key in one slot).
   * @default 'dpop:'
   */
  keyPrefix?: string;
  /**
   * Longest wait for one Redis command, in ms. A command that takes longer (Redis down, hung,
   * failing over) is abandoned and the request refused with 503; it is never accepted.
   * @default 1000
   */
  commandTimeoutMs?: number;
  /**
   * Most commands awaiting a reply at once. While Redis hangs, every request adds one; past this
   * many, requests are refused at once (503) instead of piling up until the timeouts fire.
   * @default 10000
   */
  maxPendingCommands?: number;
  /** The clock, in ms since the epoch (TTLs are computed from it). @default Date.now */
  now?: () => number;
}

/** Options of {@link RedisDpopStore.connect}. @publicApi */
export interface RedisDpopStoreConnectOptions extends RedisDpopStoreOptions {
  /** The client library; by default `redis` when it is installed, else `ioredis`. @default undefined */
  client?: RedisClientLibrary;
  /** Longest wait for the first connection, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

const PREFIX = /^[\x21-\x7e]{0,64}$/;
const MAX_CLIENT_ID = 255;

/**
 * Replay records and refresh-token bindings in Redis, for several API instances sharing one
 * Redis (single node, Sentinel or Cluster). Give it the node-redis v5 or ioredis client your app
 * already has, or let {@link RedisDpopStore.connect} create one.
 *
 * A replay check is one atomic `SET <prefix>proof:<hash> 1 NX PX <ttl>` (`OK` the first time,
 * `null` on a replay), expiring when the proof could no longer pass the `iat` check. Bindings
 * are one string key each, expiring with the refresh token. Every command is single-key and
 * bounded by `commandTimeoutMs`; a command that fails or times out rejects, so the request is
 * refused (503), never accepted. On ioredis outside a Cluster, the records of one batch of the
 * guard's checks go as one script running that SET for each key (see the README).
 * @publicApi
 */
export class RedisDpopStore extends DpopStore implements OnModuleDestroy {
  private readonly commands: RedisCommands;
  private readonly prefix: string;
  private readonly maxPending: number;
  private readonly now: () => number;
  private pending = 0;
  private closed = false;
  /** Every command's time limit, on one timer. */
  private readonly timeouts: FixedTimeouts;

  /**
   * @param client a connected node-redis v5 or ioredis client (the app keeps owning it)
   * @param options key prefix, command timeout, clock
   */
  constructor(client: RedisClientLike, options?: RedisDpopStoreOptions);
  /** @internal used by {@link RedisDpopStore.connect}: the store owns these commands' client. */
  constructor(client: RedisCommands, options: RedisDpopStoreOptions, owned: true);
  constructor(
    client: RedisClientLike | RedisCommands,
    options: RedisDpopStoreOptions = {},
    private readonly owned = false,
  ) {
    super();
    const { prefix, timeoutMs, maxPending } = validate(options);
    this.maxPending = maxPending;
    this.prefix = prefix;
    this.timeouts = new FixedTimeouts(
      timeoutMs,
      () => new Error(`RedisDpopStore: a command took longer than ${timeoutMs} ms`),
    );
    this.now = options.now ?? Date.now;
    if (owned) this.commands = client as RedisCommands;
    else if (isNodeRedis(client)) this.commands = new NodeRedisCommands(client);
    else if (isIoRedis(client)) this.commands = new IoRedisCommands(client);
    else {
      throw new TypeError(
        'RedisDpopStore needs a node-redis v5 client (createClient, createCluster, createSentinel) or an ioredis client (new Redis, new Cluster).',
      );
    }
  }

  /**
   * Connects to `url` (`redis://…` or `rediss://…`) with a client of its own (no offline queue,
   * reconnecting by itself) and returns the store, which closes that client in `close()`.
   */
  static async connect(url: string, options: RedisDpopStoreConnectOptions = {}): Promise<RedisDpopStore> {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new TypeError('RedisDpopStore.connect needs a redis:// or rediss:// URL.');
    }
    const { client, connectTimeoutMs = DPOP_DEFAULTS.redisStore.connectTimeoutMs, ...storeOptions } = options;
    if (client !== undefined) assertOneOf('RedisDpopStore.connect', 'client', client, ['redis', 'ioredis']);
    assertInteger('RedisDpopStore.connect', 'connectTimeoutMs', connectTimeoutMs, 1);
    validate(storeOptions); // before connecting
    const logger = new Logger('RedisDpopStore');
    let lastLogged = 0;
    const onError = (error: Error) => {
      if (Date.now() - lastLogged < 10_000) return; // one line per outage, not one per retry
      lastLogged = Date.now();
      logger.warn(`Redis connection error (requests are refused until it is back): ${error.message}`);
    };
    const commands = await connectRedis(url, client, { connect: connectTimeoutMs }, onError);
    return new RedisDpopStore(commands, storeOptions, true);
  }

  rememberProof(key: string, expiresAt: number): Promise<boolean> {
    if (!BASE64URL_SHA256.test(key) || !Number.isSafeInteger(expiresAt)) {
      return Promise.reject(new Error('RedisDpopStore: malformed replay key'));
    }
    return this.bounded(() => this.commands.setIfAbsent(`${this.prefix}proof:${key}`, this.ttl(expiresAt)));
  }

  /**
   * A batch's records as one command, bounded like every other: on ioredis (single node, Sentinel) one script
   * of `SET NX PX` per key; on node-redis and a Cluster a `SET` per key, pipelined by the client.
   */
  override rememberProofs(records: readonly ProofRecord[]): Promise<boolean[]> {
    const keys: string[] = [];
    const ttls: number[] = [];
    for (const { key, expiresAt } of records) {
      if (!BASE64URL_SHA256.test(key) || !Number.isSafeInteger(expiresAt)) {
        return Promise.reject(new Error('RedisDpopStore: malformed replay key'));
      }
      keys.push(`${this.prefix}proof:${key}`);
      ttls.push(this.ttl(expiresAt));
    }
    return this.bounded(() => this.commands.setEachIfAbsent(keys, ttls));
  }

  async saveRefreshTokenBinding(binding: RefreshTokenBinding): Promise<void> {
    const { tokenHash, jkt, clientId, expiresAt } = binding;
    if (!BASE64URL_SHA256.test(tokenHash) || !BASE64URL_SHA256.test(jkt)) {
      throw new Error('RedisDpopStore: a binding needs a 43-character token hash and thumbprint');
    }
    if (typeof clientId !== 'string' || clientId.length > MAX_CLIENT_ID || !Number.isSafeInteger(expiresAt)) {
      throw new Error('RedisDpopStore: a binding needs a client id of at most 255 characters and an integer expiry');
    }
    const key = `${this.prefix}rt:${tokenHash}`;
    const ttl = expiresAt - this.now();
    if (ttl <= 0) return this.bounded(() => this.commands.del(key)); // already expired: nothing to keep
    await this.bounded(() => this.commands.setWithTtl(key, JSON.stringify({ jkt, clientId, expiresAt }), ttl));
  }

  async findRefreshTokenBinding(tokenHash: string): Promise<RefreshTokenBinding | undefined> {
    if (!BASE64URL_SHA256.test(tokenHash)) return undefined;
    const value = await this.bounded(() => this.commands.get(`${this.prefix}rt:${tokenHash}`));
    if (value === null) return undefined;
    const binding = parseBinding(tokenHash, value);
    return binding.expiresAt > this.now() ? binding : undefined;
  }

  async deleteRefreshTokenBinding(tokenHash: string): Promise<void> {
    if (!BASE64URL_SHA256.test(tokenHash)) return;
    await this.bounded(() => this.commands.del(`${this.prefix}rt:${tokenHash}`));
  }

  /** Closes the client when {@link RedisDpopStore.connect} created it; a client you passed stays open. */
  async close(): Promise<void> {
    if (!this.owned || this.closed) return;
    this.closed = true;
    await this.commands.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** ms until `expiresAt`, at least 1 (PX needs a positive TTL). */
  private ttl(expiresAt: number): number {
    return Math.max(1, Math.ceil(expiresAt - this.now()));
  }

  /** Sends one command (unless too many await replies) and bounds the wait for it. */
  private bounded<T>(send: () => Promise<T>): Promise<T> {
    if (this.pending >= this.maxPending) {
      return Promise.reject(new Error(`RedisDpopStore: ${this.maxPending} commands already await Redis`));
    }
    let command: Promise<T>;
    try {
      command = send();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.pending++;
    return this.timeouts.bound(command, this.commandSettled);
  }

  private readonly commandSettled = (): void => void this.pending--;
}

function validate(options: RedisDpopStoreOptions): { prefix: string; timeoutMs: number; maxPending: number } {
  const defaults = DPOP_DEFAULTS.redisStore;
  const prefix = options.keyPrefix ?? defaults.keyPrefix;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw optionError(
      'RedisDpopStore',
      'keyPrefix',
      `must be at most 64 printable ASCII characters without spaces (got ${describeValue(prefix)})`,
    );
  }
  const timeoutMs = options.commandTimeoutMs ?? defaults.commandTimeoutMs;
  assertInteger('RedisDpopStore', 'commandTimeoutMs', timeoutMs, 1, 60_000);
  const maxPending = options.maxPendingCommands ?? defaults.maxPendingCommands;
  assertInteger('RedisDpopStore', 'maxPendingCommands', maxPending, 1);
  return { prefix, timeoutMs, maxPending };
}

/** Reads a stored binding; anything else is an error (never read as "unbound"). */
function parseBinding(tokenHash: string, value: string): RefreshTokenBinding {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const { jkt, clientId, expiresAt } = (parsed ?? {}) as Partial<RefreshTokenBinding>;
  if (typeof jkt !== 'string' || typeof clientId !== 'string' || !Number.isSafeInteger(expiresAt)) {
    throw new Error('RedisDpopStore: a stored refresh-token binding is unreadable');
  }
  return { tokenHash, jkt, clientId, expiresAt: expiresAt! };
}
