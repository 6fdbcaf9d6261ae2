// Replay-insert throughput of the stores (a benchmark, not a test).
//   npm run bench:store     (builds dist/ first; PostgreSQL 127.0.0.1:5432 and MariaDB 127.0.0.1:3306,
//                            database "test"; Redis 127.0.0.1:6379)
// Each store gets the same number of fresh keys, inserted one at a time (sequential) and with 32 in
// flight (concurrent), as a busy API does; median of BENCH_ROUNDS (3) runs. Writes its section of
// bench/RESULTS.md.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDpopStore } from '../dist/esm/index.js';
import { RedisDpopStore } from '../dist/esm/storage/redis/index.js';
import { TypeOrmDpopStore } from '../dist/esm/storage/typeorm/index.js';
import { writeSection } from './results-file.mjs';

const COUNT = Number(process.env.BENCH_INSERTS ?? 5000);
const IN_FLIGHT = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REDIS_PREFIX = `dpop-bench-store:${process.pid}:`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
let counter = 0;
const key = () => createHash('sha256').update(`bench-${process.pid}-${counter++}`).digest('base64url');

async function sequential(store) {
  const keys = Array.from({ length: COUNT }, key);
  const expires = Date.now() + 120_000;
  const start = process.hrtime.bigint();
  for (const k of keys) if (!(await store.rememberProof(k, expires))) throw new Error('unexpected replay');
  return COUNT / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function concurrent(store) {
  const keys = Array.from({ length: COUNT }, key);
  const expires = Date.now() + 120_000;
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < keys.length)
        if (!(await store.rememberProof(keys[next++], expires))) throw new Error('unexpected replay');
    }),
  );
  return COUNT / (Number(process.hrtime.bigint() - start) / 1e9);
}

const dir = mkdtempSync(join(tmpdir(), 'dpop-bench-'));
const stores = [
  ['memory (MemoryDpopStore)', async () => new MemoryDpopStore({ maxEntries: COUNT * (2 * ROUNDS + 2) })],
  [
    'SQLite file, WAL (better-sqlite3)',
    () =>
      TypeOrmDpopStore.open(
        { type: 'better-sqlite3', database: join(dir, 'bench.sqlite'), enableWAL: true },
        { pruneIntervalSeconds: 0 },
      ),
  ],
  [
    'PostgreSQL 127.0.0.1:5432 (pool of 10)',
    () =>
      TypeOrmDpopStore.open(
        { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', database: 'test', poolSize: 10 },
        { pruneIntervalSeconds: 0 },
      ),
  ],
  [
    'MariaDB 127.0.0.1:3306 (pool of 10)',
    () =>
      TypeOrmDpopStore.open(
        { type: 'mariadb', host: '127.0.0.1', port: 3306, username: 'root', database: 'test', poolSize: 10 },
        { pruneIntervalSeconds: 0 },
      ),
  ],
  [
    'Redis 127.0.0.1:6379 (node-redis v5)',
    () => RedisDpopStore.connect('redis://127.0.0.1:6379', { client: 'redis', keyPrefix: REDIS_PREFIX }),
  ],
  [
    'Redis 127.0.0.1:6379 (ioredis)',
    () => RedisDpopStore.connect('redis://127.0.0.1:6379', { client: 'ioredis', keyPrefix: REDIS_PREFIX }),
  ],
];

const rows = [];
try {
  for (const [name, open] of stores) {
    const store = await open();
    await sequential(store); // warm-up
    const seq = [];
    const con = [];
    for (let round = 0; round < ROUNDS; round++) {
      seq.push(await sequential(store));
      con.push(await concurrent(store));
    }
    rows.push([name, median(seq), median(con)]);
    if (store.dataSource) await store.dataSource.query('DELETE FROM dpop_replay_record');
    await store.close?.();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  const { Redis } = await import('ioredis');
  const redis = new Redis(6379, '127.0.0.1');
  for (let cursor = '0', keys; ;) {
    [cursor, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if (cursor === '0') break;
  }
  await redis.quit();
}

const lines = [
  `## Replay-record inserts per store (\`npm run bench:store\`, ${COUNT.toLocaleString('en-US')} fresh keys per run, median of ${ROUNDS} runs)`,
  '',
  `One Node process (node ${process.version}, ${new Date().toISOString().slice(0, 10)}), \`rememberProof\` on fresh keys, one at a time and ` +
    `${IN_FLIGHT} in flight. The machine (2 cores) was shared with other engineers' test runs.`,
  '',
  `| store | sequential ops/s | ${IN_FLIGHT} in flight ops/s |`,
  '| --- | ---: | ---: |',
  ...rows.map(
    ([name, seq, con]) =>
      `| ${name} | ${Math.round(seq).toLocaleString('en-US')} | ${Math.round(con).toLocaleString('en-US')} |`,
  ),
];
console.log(`\n${lines.join('\n')}`);
if (!process.env.BENCH_NO_WRITE) writeSection('store', lines.join('\n'));
