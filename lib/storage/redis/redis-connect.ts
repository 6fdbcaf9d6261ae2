import { IoRedisCommands } from './ioredis.commands.js';
import { NodeRedisCommands } from './node-redis.commands.js';
import type { RedisCommands } from './redis-client.js';

/** Which library {@link RedisDpopStore.connect} uses. @publicApi */
export type RedisClientLibrary = 'redis' | 'ioredis';

/** Reconnect delays: 50 ms doubling, at most 2 s, forever (service resumes by itself). */
const backoff = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/** Settles as `promise` does, or rejects after `ms` if it has not settled by then. @internal */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`RedisDpopStore: ${what} took longer than ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

function missing(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Creates and connects a client for the store alone: no offline queue (a command sent while
 * Redis is away fails at once), endless reconnects with backoff, errors reported to `onError`;
 * on ioredis, auto-pipelining (node-redis writes a turn's commands together by itself).
 * Without `library`, uses `redis` when it is installed, else `ioredis`.
 * @internal
 */
export async function connectRedis(
  url: string,
  library: RedisClientLibrary | undefined,
  timeouts: { connect: number },
  onError: (error: Error) => void,
): Promise<RedisCommands> {
  if (library !== 'ioredis') {
    try {
      const { createClient } = await import('redis');
      const client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { connectTimeout: timeouts.connect, reconnectStrategy: backoff },
      });
      client.on('error', onError);
      try {
        await within(client.connect(), timeouts.connect, 'connecting');
      } catch (error) {
        client.destroy();
        throw error;
      }
      return new NodeRedisCommands(client);
    } catch (error) {
      if (library === 'redis' || !missing(error)) throw error;
    }
  }
  let Redis: typeof import('ioredis').Redis;
  try {
    const ioredis = await import('ioredis');
    // older ioredis 5 releases have no named `Redis` export when imported from ESM
    Redis = (ioredis.Redis as typeof Redis | undefined) ?? (ioredis.default as unknown as typeof Redis);
  } catch (error) {
    if (!missing(error)) throw error;
    throw new Error('RedisDpopStore.connect needs the "redis" (v5) or "ioredis" (v5) package: npm install redis', {
      cause: error,
    });
  }
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // the SETs of one event-loop turn (a batch of checks) leave in one write, as node-redis sends them
    enableAutoPipelining: true,
    connectTimeout: timeouts.connect,
    retryStrategy: backoff,
  });
  client.on('error', onError);
  try {
    await within(client.connect(), timeouts.connect, 'connecting');
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return new IoRedisCommands(client);
}
