import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDpopStore, type RedisClientLike } from '../../lib/storage/redis/index.js';
import {
  admin,
  closeClient,
  deletePrefix,
  freePort,
  redisClient,
  startRedisServer,
  uniquePrefix,
  waitForClusterOk,
  type RedisLibrary,
} from '../helpers/redis-harness.js';
import { replayKey } from '../helpers/store-contract.js';

/**
 * The replay records asked for by one batch of the guard's checks (yieldToEventLoop): on ioredis (single node),
 * one script that runs SET NX PX per key; on node-redis, a SET each (written together by node-redis itself).
 */
describe.each<RedisLibrary>(['redis', 'ioredis'])(
  'RedisDpopStore: the records of one batch of checks on %s',
  (library) => {
    const prefix = uniquePrefix();
    const clients: RedisClientLike[] = [];
    let control: Redis;
    let evalshaCalls = 0;

    /** A store on a client of `library` (as `user`, if given), counting ioredis EVALSHA calls. */
    async function storeFor(user?: { username: string; password: string }): Promise<RedisDpopStore> {
      const client = await redisClient(library, undefined, user);
      clients.push(client);
      if (library === 'ioredis') {
        const ioredis = client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> };
        const evalsha = ioredis.evalsha.bind(ioredis);
        ioredis.evalsha = (...args) => (evalshaCalls++, evalsha(...args));
      }
      return new RedisDpopStore(client, { keyPrefix: prefix });
    }
    /** The records of one batch of checks in one `rememberProofs` call, as the verifier makes it. */
    const inOneBatch = (store: RedisDpopStore, keys: string[], ttlMs = 60_000) =>
      store.rememberProofs(keys.map((key) => ({ key, expiresAt: Date.now() + ttlMs })));
    const fresh = () => replayKey('batch', randomUUID());

    beforeAll(async () => {
      control = await admin();
    });
    afterAll(async () => {
      for (const client of clients) await closeClient(client);
      await deletePrefix(control, prefix);
      control.disconnect();
    });

    it('answers each record: new keys true, a key asked for twice false, a key already there false; TTLs set', async () => {
      const store = await storeFor();
      const there = fresh();
      expect(await store.rememberProof(there, Date.now() + 60_000)).toBe(true); // outside any batch
      const [a, b, c] = [fresh(), fresh(), fresh()];
      const before = evalshaCalls;
      expect(await inOneBatch(store, [a, b, c, a, there], 30_000)).toEqual([true, true, true, false, false]);
      expect(evalshaCalls - before).toBe(library === 'ioredis' ? 1 : 0); // one script for the batch on ioredis
      for (const key of [a, b, c]) {
        const ttl = await control.pttl(`${prefix}proof:${key}`);
        expect(ttl).toBeGreaterThan(25_000);
        expect(ttl).toBeLessThanOrEqual(30_000);
      }
      expect(await inOneBatch(store, [b, fresh()])).toEqual([false, true]); // a replay in a later batch
    });

    it('after SCRIPT FLUSH (a restarted Redis has forgotten the script): the same answers', async () => {
      const store = await storeFor();
      const [a, b] = [fresh(), fresh()];
      await control.call('SCRIPT', 'FLUSH');
      expect(await inOneBatch(store, [a, b, a])).toEqual([true, true, false]);
      expect(await inOneBatch(store, [b, fresh()])).toEqual([false, true]);
    });

    it('for a user without scripting (ACL -@scripting): a SET per record, the same answers', async () => {
      const username = `dpop-noscript-${randomUUID().slice(0, 8)}`;
      await control.call('ACL', 'SETUSER', username, 'on', '>secret', '~*', '+@all', '-@scripting');
      try {
        const store = await storeFor({ username, password: 'secret' });
        const [a, b] = [fresh(), fresh()];
        expect(await inOneBatch(store, [a, b, a])).toEqual([true, true, false]);
        expect(await inOneBatch(store, [b, fresh(), fresh()])).toEqual([false, true, true]);
      } finally {
        await control.call('ACL', 'DELUSER', username);
      }
    });

    it('a batch bigger than one script (1,200 records) goes as several; a duplicate across them is still refused', async () => {
      const store = await storeFor();
      const keys = Array.from({ length: 1200 }, fresh);
      const before = evalshaCalls;
      const answers = await inOneBatch(store, [...keys, keys[3]!, keys[1100]!]);
      expect(answers.slice(0, 1200).every((answer) => answer === true)).toBe(true);
      expect(answers.slice(1200)).toEqual([false, false]);
      expect(evalshaCalls - before).toBe(library === 'ioredis' ? 3 : 0); // 512 + 512 + 178 keys
    });
  },
);

/** A server in cluster mode that holds every slot, behind a plain client (not a Cluster): CROSSSLOT for a script. */
describe.each<RedisLibrary>(['redis', 'ioredis'])(
  'RedisDpopStore: one node in cluster mode, a plain %s client',
  (library) => {
    const dir = mkdtempSync(join(tmpdir(), 'dpop-redis-single-cluster-'));
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    let client: RedisClientLike;

    beforeAll(async () => {
      const port = await freePort();
      server = await startRedisServer(
        ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--dir', dir],
        port,
      );
      execFileSync('redis-cli', ['-p', String(port), 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383'], { stdio: 'pipe' });
      await waitForClusterOk(port);
      client = await redisClient(library, port);
    }, 30_000);
    afterAll(async () => {
      if (client) await closeClient(client);
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers each record of a batch (a SET per key once the script is refused with CROSSSLOT)', async () => {
      const store = new RedisDpopStore(client, { keyPrefix: uniquePrefix() });
      const fresh = () => replayKey('single', randomUUID());
      for (let round = 0; round < 3; round++) {
        const [a, b, c] = [fresh(), fresh(), fresh()];
        const answers = await store.rememberProofs(
          [a, b, c, a].map((key) => ({ key, expiresAt: Date.now() + 10_000 })),
        );
        expect(answers).toEqual([true, true, true, false]);
      }
    });
  },
);
