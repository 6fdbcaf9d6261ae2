import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe } from 'vitest';
import type { DpopStore } from '../../lib/index.js';
import { RedisDpopStore } from '../../lib/storage/redis/index.js';
import { freePort, startRedisServer, uniquePrefix, type RedisLibrary } from '../helpers/redis-harness.js';
import { storeContract, type StoreHarness } from '../helpers/store-contract.js';

/**
 * A primary and one Sentinel of this test's own; the store contract through node-redis createSentinel and
 * ioredis' Sentinel support (new Redis({ sentinels, name })).
 */
const dir = mkdtempSync(join(tmpdir(), 'dpop-redis-sentinel-'));
let primary: Awaited<ReturnType<typeof startRedisServer>>;
let sentinel: ChildProcess;
let sentinelPort: number;

beforeAll(async () => {
  primary = await startRedisServer();
  sentinelPort = await freePort();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor dpop 127.0.0.1 ${primary.port} 1`,
      'sentinel down-after-milliseconds dpop 2000',
      '',
    ].join('\n'),
  );
  sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(sentinelPort, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const master = await probe.connect().then(
      () => probe.call('SENTINEL', 'get-master-addr-by-name', 'dpop'),
      () => undefined,
    );
    probe.disconnect();
    if (Array.isArray(master) && Number(master[1]) === primary.port) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the test Sentinel did not start');
}, 60_000);

afterAll(async () => {
  if (sentinel.exitCode === null) {
    const exited = new Promise((resolve) => sentinel.once('exit', resolve));
    sentinel.kill('SIGTERM');
    await exited;
  }
  await primary.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sentinelHarness(library: RedisLibrary): StoreHarness {
  const prefix = uniquePrefix();
  const closers = new Map<DpopStore, () => Promise<void>>();
  return {
    async open() {
      const sentinels = [{ host: '127.0.0.1', port: sentinelPort }];
      if (library === 'redis') {
        const client = createSentinel({ name: 'dpop', sentinelRootNodes: sentinels });
        client.on('error', () => undefined);
        await client.connect();
        const store = new RedisDpopStore(client, { keyPrefix: prefix });
        closers.set(store, () => client.close());
        return store;
      }
      const client = new Redis({ sentinels, name: 'dpop', lazyConnect: true });
      client.on('error', () => undefined);
      await client.connect();
      const store = new RedisDpopStore(client, { keyPrefix: prefix });
      closers.set(store, async () => void (await client.quit()));
      return store;
    },
    async close(store) {
      await closers.get(store)?.();
      closers.delete(store);
    },
    validatesKeys: true,
    async recordExpiry(_store, key) {
      const reader = new Redis(primary.port, '127.0.0.1');
      const ttl = await reader.pttl(`${prefix}proof:${key}`);
      await reader.quit();
      return ttl < 0 ? undefined : Date.now() + ttl;
    },
  };
}

describe.each<RedisLibrary>(['redis', 'ioredis'])('Redis behind Sentinel through %s', (library) => {
  storeContract(`Redis Sentinel (${library})`, sentinelHarness(library));
});
