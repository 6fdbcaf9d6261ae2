import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisDpopStore } from '../../lib/storage/redis/index.js';
import {
  admin,
  deletePrefix,
  freePort,
  REDIS_PORT,
  startRedisServer,
  uniquePrefix,
  type RedisLibrary,
} from '../helpers/redis-harness.js';
import { replayKey } from '../helpers/store-contract.js';

const URL = `redis://127.0.0.1:${REDIS_PORT}`;
const prefix = uniquePrefix();
afterAll(async () => {
  const client = await admin();
  await deletePrefix(client, prefix);
  await client.quit();
});

describe.each<RedisLibrary>(['redis', 'ioredis'])('RedisDpopStore.connect(url) with %s', (library) => {
  it('records a proof once, with a PX TTL under the prefix, and closes its own client', async () => {
    const store = await RedisDpopStore.connect(URL, { client: library, keyPrefix: prefix });
    const key = replayKey('connect', randomUUID());
    expect(await store.rememberProof(key, Date.now() + 30_000)).toBe(true);
    expect(await store.rememberProof(key, Date.now() + 30_000)).toBe(false);
    const check = await admin();
    const ttl = await check.pttl(`${prefix}proof:${key}`);
    await check.quit();
    expect(ttl).toBeGreaterThan(28_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await store.close();
    await expect(store.rememberProof(replayKey('closed', randomUUID()), Date.now() + 1000)).rejects.toThrow();
    await store.close(); // twice is fine
  });

  it('nothing listening: connect() rejects within connectTimeoutMs', async () => {
    const started = Date.now();
    await expect(
      RedisDpopStore.connect(`redis://127.0.0.1:${await freePort()}`, { client: library, connectTimeoutMs: 1000 }),
    ).rejects.toThrow(/ECONNREFUSED|took longer|connect/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('its client reconnects by itself after Redis restarts, refusing (503-style rejections) meanwhile', async () => {
    let server = await startRedisServer();
    const store = await RedisDpopStore.connect(`redis://127.0.0.1:${server.port}`, { client: library });
    try {
      expect(await store.rememberProof(replayKey('a', randomUUID()), Date.now() + 5000)).toBe(true);
      const port = server.port;
      await server.stop();
      const started = Date.now();
      await expect(store.rememberProof(replayKey('b', randomUUID()), Date.now() + 5000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
      server = await startRedisServer([], port);
      let resumed = false;
      for (let i = 0; i < 100 && !resumed; i++) {
        resumed = await store.rememberProof(replayKey('c', randomUUID()), Date.now() + 5000).catch(() => false);
        if (!resumed) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(resumed).toBe(true);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});

describe('RedisDpopStore options', () => {
  const client = { status: 'ready', set: () => Promise.resolve('OK'), get: () => Promise.resolve(null), del: () => 0 };
  it('says which option is wrong and how to fix it', async () => {
    const make = (options: object) => () => new RedisDpopStore(client as never, options);
    expect(make({ keyPrefix: 'has space' })).toThrow(
      /option "keyPrefix" must be at most 64 printable ASCII characters/,
    );
    expect(make({ keyPrefix: 'x'.repeat(65) })).toThrow(/keyPrefix/);
    expect(make({ commandTimeoutMs: 0 })).toThrow(
      /option "commandTimeoutMs" must be an integer from 1 to 60000 \(got number 0\)/,
    );
    expect(make({ commandTimeoutMs: 1.5 })).toThrow(/commandTimeoutMs/);
    expect(make({ maxPendingCommands: 0 })).toThrow(
      /option "maxPendingCommands" must be an integer of at least 1 \(got number 0\)/,
    );
    expect(() => new RedisDpopStore({} as never)).toThrow(/needs a node-redis v5 client .* or an ioredis client/);
    await expect(RedisDpopStore.connect('http://127.0.0.1:6379')).rejects.toThrow(/redis:\/\/ or rediss:\/\//);
    await expect(RedisDpopStore.connect(URL, { client: 'memcached' as never })).rejects.toThrow(
      /option "client" must be 'redis' or 'ioredis'/,
    );
    await expect(RedisDpopStore.connect(URL, { commandTimeoutMs: -1 })).rejects.toThrow(/commandTimeoutMs/);
  });

  it('an unreadable stored binding is an error, never "unbound"', async () => {
    const tokenHash = replayKey('corrupt', randomUUID());
    const check = await admin();
    await check.set(`${prefix}rt:${tokenHash}`, 'not json', 'PX', 10_000);
    await check.quit();
    const store = await RedisDpopStore.connect(URL, { keyPrefix: prefix });
    try {
      await expect(store.findRefreshTokenBinding(tokenHash)).rejects.toThrow(/unreadable/);
    } finally {
      await store.close();
    }
  });
});
