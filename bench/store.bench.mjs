// Replay-insert throughput of the stores (a benchmark, not a test).
//   npm run bench:store     (builds dist/ first; PostgreSQL on 127.0.0.1:5432, database "test")
// Each store gets the same number of fresh keys, inserted one at a time
// (sequential) and with 32 in flight (concurrent), as a busy API does.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDpopStore } from '../dist/esm/index.js';
import { TypeOrmDpopStore } from '../dist/esm/storage/typeorm/index.js';

const COUNT = Number(process.env.BENCH_INSERTS ?? 5000);
const IN_FLIGHT = 32;
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
  ['memory (MemoryDpopStore)', async () => new MemoryDpopStore({ maxEntries: COUNT * 4 })],
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
];

const rows = [];
try {
  for (const [name, open] of stores) {
    const store = await open();
    await sequential(store); // warm-up
    rows.push([name, await sequential(store), await concurrent(store)]);
    if (store.dataSource) {
      await store.dataSource.query('DELETE FROM dpop_replay_record');
      await store.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nReplay-record inserts (insert-if-absent), ${COUNT} fresh keys per run, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log(`| store                                   | sequential ops/s | ${IN_FLIGHT} in flight ops/s |`);
console.log('|-----------------------------------------|------------------|-------------------|');
for (const [name, seq, con] of rows) {
  console.log(
    `| ${name.padEnd(39)} | ${Math.round(seq).toLocaleString('en-US').padStart(16)} | ${Math.round(con).toLocaleString('en-US').padStart(17)} |`,
  );
}
