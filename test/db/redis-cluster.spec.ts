import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopStore } from '../../lib/index.js';
import { RedisDpopStore, type RedisClientLike } from '../../lib/storage/redis/index.js';
import {
  freePort,
  startRedisServer,
  uniquePrefix,
  waitForClusterOk,
  type RedisLibrary,
} from '../helpers/redis-harness.js';
import { storeContract, type StoreHarness } from '../helpers/store-contract.js';

/**
 * A three-primary Redis Cluster of this test's own (redis-server --cluster-enabled, redis-cli --cluster
 * create), and the whole store contract on it through node-redis createCluster and ioredis Cluster.
 */
const servers: Awaited<ReturnType<typeof startRedisServer>>[] = [];
const dir = mkdtempSync(join(tmpdir(), 'dpop-redis-cluster-'));
const ports: number[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) ports.push(await freePort());
  for (const port of ports) {
    servers.push(
      await startRedisServer(
        ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
        port,
      ),
    );
  }
  execFileSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { stdio: 'pipe' },
  );
  await waitForClusterOk(ports[0]!);
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function clusterClient(library: RedisLibrary): Promise<{ client: RedisClientLike; close(): Promise<void> }> {
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  if (library === 'redis') {
    const client = createCluster({ rootNodes: nodes.map(({ port }) => ({ url: `redis://127.0.0.1:${port}` })) });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: () => client.close() };
  }
  const client = new Cluster(nodes, { lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  return { client, close: async () => void (await client.quit()) };
}

function clusterHarness(library: RedisLibrary): StoreHarness {
  const prefix = uniquePrefix();
  const clients = new Map<DpopStore, Awaited<ReturnType<typeof clusterClient>>>();
  return {
    async open() {
      const connection = await clusterClient(library);
      const store = new RedisDpopStore(connection.client, { keyPrefix: prefix });
      clients.set(store, connection);
      return store;
    },
    async close(store) {
      await clients.get(store)?.close();
      clients.delete(store);
    },
    validatesKeys: true,
    async recordExpiry(_store, key) {
      const reader = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { lazyConnect: true },
      );
      await reader.connect();
      const ttl = await reader.pttl(`${prefix}proof:${key}`);
      await reader.quit();
      return ttl < 0 ? undefined : Date.now() + ttl;
    },
  };
}

describe.each<RedisLibrary>(['redis', 'ioredis'])('Redis Cluster (3 primaries) through %s', (library) => {
  storeContract(`Redis Cluster (${library})`, clusterHarness(library));

  it('spreads the keys over the primaries (no hash tag in the prefix)', async () => {
    const connection = await clusterClient(library);
    const store = new RedisDpopStore(connection.client, { keyPrefix: uniquePrefix() });
    const { createHash } = await import('node:crypto');
    for (let i = 0; i < 60; i++) {
      const key = createHash('sha256').update(`spread-${i}-${Date.now()}`).digest('base64url');
      expect(await store.rememberProof(key, Date.now() + 10_000)).toBe(true);
    }
    await connection.close();
    const counts = ports.map((port) =>
      Number(execFileSync('redis-cli', ['-p', String(port), 'DBSIZE'], { encoding: 'utf8' })),
    );
    expect(counts.every((count) => count > 0)).toBe(true);
  });

  it("answers the records of one batch of the guard's checks, keys on every primary (no script on a Cluster)", async () => {
    const connection = await clusterClient(library);
    try {
      const store = new RedisDpopStore(connection.client, { keyPrefix: uniquePrefix() });
      const { createHash } = await import('node:crypto');
      const keys = Array.from({ length: 30 }, (_, i) =>
        createHash('sha256').update(`batch-${i}-${Date.now()}`).digest('base64url'),
      );
      const answers = await store.rememberProofs(
        [...keys, keys[0]!, keys[17]!].map((key) => ({ key, expiresAt: Date.now() + 10_000 })),
      );
      expect(answers).toEqual([...keys.map(() => true), false, false]);
      expect(await store.rememberProofs([{ key: keys[5]!, expiresAt: Date.now() + 10_000 }])).toEqual([false]);
    } finally {
      await connection.close();
    }
  });
});
