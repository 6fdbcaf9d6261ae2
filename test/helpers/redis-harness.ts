import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from './sample-app.js';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { DpopStore } from '../../lib/index.js';
import { RedisDpopStore, type RedisClientLike, type RedisDpopStoreOptions } from '../../lib/storage/redis/index.js';
import type { StoreHarness, StoreOutage } from './store-contract.js';
import { TcpProxy } from './tcp-proxy.js';

export type RedisLibrary = 'redis' | 'ioredis';
export const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);

/** A connected client of either library (errors are expected in the fault tests: not logged). */
export async function redisClient(
  library: RedisLibrary,
  port = REDIS_PORT,
  user?: { username: string; password: string },
): Promise<RedisClientLike> {
  if (library === 'redis') {
    const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: () => 100 }, ...user });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100, ...user });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Closes a client made by {@link redisClient}, whatever state it is in. */
export async function closeClient(client: RedisClientLike): Promise<void> {
  if ('withCommandOptions' in client) {
    const node = client as unknown as { isOpen: boolean; destroy(): void };
    if (node.isOpen) node.destroy();
  } else {
    (client as unknown as Redis).disconnect();
  }
}

/** An ioredis admin connection for assertions and cleanup. */
export async function admin(port = REDIS_PORT): Promise<Redis> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true });
  await client.connect();
  return client;
}

/** Deletes every key under `prefix` (never FLUSHALL: the server is shared). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A key prefix no other test run uses. */
export const uniquePrefix = () => `dpop-test:${randomUUID().slice(0, 8)}:`;

/**
 * The contract's harness for RedisDpopStore on one library: every store gets its own client on the
 * machine's Redis, all with the same prefix; the outage goes through a TCP proxy.
 */
export function redisHarness(library: RedisLibrary, prefix: string, options: RedisDpopStoreOptions = {}): StoreHarness {
  const clients = new Map<DpopStore, RedisClientLike>();
  const storeOn = async (port: number) => {
    const client = await redisClient(library, port);
    const store = new RedisDpopStore(client, { keyPrefix: prefix, ...options });
    clients.set(store, client);
    return store;
  };
  let adminClient: Redis | undefined;
  const close = async (store: DpopStore) => {
    const client = clients.get(store);
    clients.delete(store);
    if (client) await closeClient(client);
  };
  return {
    open: () => storeOn(REDIS_PORT),
    close,
    // ioredis resends a command that was in flight when the connection dropped (maxRetriesPerRequest):
    // a proof refused during the outage may be recorded once Redis is back (refused again, never accepted).
    outageMayRecord: library === 'ioredis',
    validatesKeys: true,
    async recordExpiry(_store, key) {
      adminClient ??= await admin();
      const ttl = await adminClient.pttl(`${prefix}proof:${key}`);
      return ttl < 0 ? undefined : Date.now() + ttl;
    },
    async outage(): Promise<StoreOutage> {
      const proxy = new TcpProxy(REDIS_PORT);
      const store = await storeOn(await proxy.start());
      return {
        store,
        cut: () => proxy.cut(),
        restore: () => proxy.restore(),
        dispose: async () => {
          await close(store);
          await proxy.cut();
          await adminClient?.quit();
          adminClient = undefined;
        },
      };
    },
  };
}

export { freePort };

/** A throw-away redis-server of our own (for faults that would disturb the shared one). */
export async function startRedisServer(
  extra: string[] = [],
  port?: number,
): Promise<{ port: number; process: ChildProcess; stop(): Promise<void> }> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp', ...extra],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(chosen, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const up = await probe.connect().then(
      () => probe.ping(),
      () => undefined,
    );
    probe.disconnect();
    if (up === 'PONG') return { port: chosen, process: child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`redis-server did not start on port ${chosen}`);
}

/** Waits (up to 10 s) until the cluster node on `port` reports `cluster_state:ok`; throws if it never does. */
export async function waitForClusterOk(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const info = execFileSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' });
    if (info.includes('cluster_state:ok')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the test cluster on port ${port} did not reach cluster_state:ok`);
}
