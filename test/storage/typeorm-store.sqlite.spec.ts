import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { storeContract } from '../helpers/store-contract.js';
import { typeormCases, typeormHarness } from '../helpers/typeorm-harness.js';

// A real SQLite file (better-sqlite3, WAL), as the module's default store uses.
const dir = mkdtempSync(join(tmpdir(), 'dpop-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const connection = () => ({ type: 'better-sqlite3' as const, database: join(dir, 'dpop.sqlite'), enableWAL: true });

storeContract('SQLite (file, WAL)', typeormHarness(connection));
typeormCases('SQLite (file, WAL)', connection);

describe('TypeOrmDpopStore.open() on a SQLite file in WAL mode', () => {
  it('sets synchronous = NORMAL (no fsync per commit) unless prepareDatabase is given', async () => {
    const sync = async (store: TypeOrmDpopStore) => {
      const [row] = (await store.dataSource.query('PRAGMA synchronous')) as { synchronous: number }[];
      await store.close();
      return row?.synchronous;
    };
    expect(await sync(await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 }))).toBe(1);
    const own = await TypeOrmDpopStore.open(
      {
        ...connection(),
        prepareDatabase: (db: { pragma(sql: string): unknown }) => void db.pragma('synchronous = FULL'),
      },
      { pruneIntervalSeconds: 0 },
    );
    expect(await sync(own)).toBe(2);
  });
});

describe('TypeOrmDpopStore on better-sqlite3', () => {
  it('answers a replay check synchronously (a boolean, no promise), and a replay with false', async () => {
    const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
    try {
      const key = 'A'.repeat(43);
      const first = store.rememberProof(key, Date.now() + 60_000);
      expect(first).toBe(true);
      expect(store.rememberProof(key, Date.now() + 60_000)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
