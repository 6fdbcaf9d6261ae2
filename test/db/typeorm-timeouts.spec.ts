import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSourceOptions } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { hit, loadApp, loadClient, loadProof } from '../helpers/bench-app.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

// PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306 (npm run test:db), each behind a proxy that stalls.
const HOST = '127.0.0.1';
const DATABASES = [
  {
    name: 'PostgreSQL',
    port: Number(process.env.PGPORT ?? 5432),
    connection: (port: number): DataSourceOptions => ({
      type: 'postgres',
      host: HOST,
      port,
      username: 'postgres',
      database: 'test',
      poolSize: 2,
    }),
  },
  {
    name: 'MariaDB',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    connection: (port: number): DataSourceOptions => ({
      type: 'mariadb',
      host: HOST,
      port,
      username: 'root',
      password: '',
      database: 'test',
      poolSize: 2,
    }),
  },
];

/** The store's time limit in these tests, and how long a refusal may take at most. */
const LIMIT_MS = 300;
const REFUSED_WITHIN_MS = 2000;

const newKey = (tag: string) => createHash('sha256').update(`${tag}:${randomUUID()}`).digest('base64url');
const inAMinute = () => Date.now() + 60_000;

/** How `value` settled within REFUSED_WITHIN_MS (`hung` if it did not), and after how long. */
async function settle(value: unknown): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.resolve(value).then(
      (answer) => `answered ${String(answer)}`,
      () => 'rejected',
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), REFUSED_WITHIN_MS))),
  ]);
  clearTimeout(timer);
  return { outcome, ms: performance.now() - started };
}

describe.each(DATABASES)('TypeOrmDpopStore on $name that stops answering', ({ port, connection }) => {
  it('refuses within about queryTimeoutMs, records nothing, and works again on its own once the database answers', async () => {
    const proxy = new TcpProxy(port);
    const store = await TypeOrmDpopStore.open(connection(await proxy.start()), {
      pruneIntervalSeconds: 0,
      queryTimeoutMs: LIMIT_MS,
    });
    const binding = (tag: string) => ({
      tokenHash: newKey(tag),
      jkt: newKey('jkt'),
      clientId: 'c',
      expiresAt: inAMinute(),
    });
    try {
      const seen = newKey('seen');
      const kept = binding('kept');
      // at once, so the pool opens both its connections: each of them then hangs in the stall
      expect(await Promise.all([store.rememberProof(seen, inAMinute()), store.saveRefreshTokenBinding(kept)])).toEqual([
        true,
        undefined,
      ]);

      proxy.stall();
      // more operations than the pool's two connections: both pooled connections hang, the rest wait for one
      const stalledKeys = Array.from({ length: 4 }, (_, i) => newKey(`stalled${i}`));
      const unsaved = binding('unsaved');
      const outcomes = await Promise.all([
        ...stalledKeys.map((key) => settle(store.rememberProof(key, inAMinute()))),
        settle(store.saveRefreshTokenBinding(unsaved)),
        settle(store.findRefreshTokenBinding(kept.tokenHash)),
      ]);
      console.log(
        `${connection(0).type} stalled: ${outcomes.map((o) => `${o.outcome} ${Math.round(o.ms)} ms`).join(', ')}`,
      );
      for (const { outcome, ms } of outcomes) {
        expect(outcome).toBe('rejected');
        expect(ms).toBeGreaterThanOrEqual(LIMIT_MS - 20);
        expect(ms).toBeLessThan(REFUSED_WITHIN_MS);
      }

      proxy.resume();
      // the connections that hung never answer again: the store dropped them, and new ones answer
      const fresh = newKey('fresh');
      expect(await settle(store.rememberProof(fresh, inAMinute()))).toMatchObject({ outcome: 'answered true' });
      expect(await store.rememberProof(fresh, inAMinute())).toBe(false);
      expect(await store.rememberProof(seen, inAMinute())).toBe(false); // a replay is still detected
      for (const key of stalledKeys) expect(await store.rememberProof(key, inAMinute())).toBe(true); // never recorded
      expect(await store.findRefreshTokenBinding(kept.tokenHash)).toEqual(kept);
      expect(await store.findRefreshTokenBinding(unsaved.tokenHash)).toBeUndefined();
      // and keeps working with more operations at once than the pool has connections
      const after = Array.from({ length: 10 }, () => newKey('after'));
      const answers = await Promise.all(after.map((key) => settle(store.rememberProof(key, inAMinute()))));
      expect(answers.map((a) => a.outcome)).toEqual(after.map(() => 'answered true'));
    } finally {
      await proxy.cut(); // frees whatever still hangs, so close() cannot wait for it
      await store.close().catch(() => undefined); // may see the cut connections fail
    }
  });
});

describe('a guarded app on PostgreSQL that stops answering', () => {
  it('answers 503 within about queryTimeoutMs, then 200 once the database answers again (same app)', async () => {
    const { port: pgPort, connection } = DATABASES[0]!;
    const client = await loadClient();
    const proxy = new TcpProxy(pgPort);
    const store = await TypeOrmDpopStore.open(connection(await proxy.start()), {
      pruneIntervalSeconds: 0,
      queryTimeoutMs: LIMIT_MS,
    });
    const { app, port } = await loadApp(client.asJwk, { store });
    const get = () => hit(port, { host: 'load.local', authorization: `DPoP ${client.token}`, dpop: loadProof(client) });
    try {
      expect(await Promise.all([get(), get(), get()])).toEqual([200, 200, 200]); // both pooled connections open
      proxy.stall();
      const stalled = await Promise.all(Array.from({ length: 4 }, () => settle(get())));
      expect(stalled.map((s) => s.outcome)).toEqual(stalled.map(() => 'answered 503'));
      proxy.resume();
      const resumed = await Promise.all(Array.from({ length: 4 }, () => settle(get())));
      expect(resumed.map((s) => s.outcome)).toEqual(resumed.map(() => 'answered 200'));
    } finally {
      await proxy.cut();
      await app.close();
      await store.close().catch(() => undefined);
    }
  });
});
