import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DPOP_TYPEORM_ENTITIES,
  DPOP_TYPEORM_MIGRATIONS,
  TypeOrmDpopStore,
  type TypeOrmDpopStoreOptions,
} from '../../lib/storage/typeorm/index.js';
import { SqliteReplayWriter, type SqliteConnection } from '../../lib/storage/typeorm/sqlite-replay-writer.js';
import { storeContract } from '../helpers/store-contract.js';
import { typeormCases, typeormHarness } from '../helpers/typeorm-harness.js';

// A real SQLite file (better-sqlite3, WAL), as the module's default store uses.
const dir = mkdtempSync(join(tmpdir(), 'dpop-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const connection = () => ({ type: 'better-sqlite3' as const, database: join(dir, 'dpop.sqlite'), enableWAL: true });

storeContract('SQLite (file, WAL)', typeormHarness(connection));
typeormCases('SQLite (file, WAL)', connection);

describe('TypeOrmDpopStore.open() on a SQLite file in WAL mode', () => {
  it('sets synchronous = NORMAL and wal_autocheckpoint = 10000 unless prepareDatabase is given', async () => {
    const sync = async (store: TypeOrmDpopStore) => {
      const [row] = (await store.dataSource.query('PRAGMA synchronous')) as { synchronous: number }[];
      const [pages] = (await store.dataSource.query('PRAGMA wal_autocheckpoint')) as { wal_autocheckpoint: number }[];
      await store.close();
      return [row?.synchronous, pages?.wal_autocheckpoint];
    };
    expect(await sync(await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 }))).toEqual([1, 10_000]);
    const own = await TypeOrmDpopStore.open(
      {
        ...connection(),
        prepareDatabase: (db: { pragma(sql: string): unknown }) => void db.pragma('synchronous = FULL'),
      },
      { pruneIntervalSeconds: 0 },
    );
    expect(await sync(own)).toEqual([2, 1000]); // SQLite's own default
  });
});

describe('TypeOrmDpopStore options', () => {
  it('checks queryTimeoutMs at start-up: an integer from 1 to 60000 ms', () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    for (const queryTimeoutMs of [0, 1.5, 60_001]) {
      expect(() => new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0, queryTimeoutMs })).toThrow(
        `TypeOrmDpopStore option "queryTimeoutMs" must be an integer from 1 to 60000 (got number ${queryTimeoutMs}).`,
      );
    }
    expect(() => new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0, queryTimeoutMs: 60_000 })).not.toThrow();
  });
});

describe('TypeOrmDpopStore on better-sqlite3', () => {
  const key = (tag: string) => `${tag}${Date.now()}`.padEnd(43, 'x').slice(0, 43);
  /** Rows with this id, read through a second connection: only committed rows. */
  const committedRows = (id: string) => {
    const other = new Database(connection().database, { readonly: true });
    try {
      return (other.prepare('SELECT count(*) AS n FROM dpop_replay_record WHERE id = ?').get(id) as { n: number }).n;
    } finally {
      other.close();
    }
  };
  const shared = async (options: TypeOrmDpopStoreOptions) => {
    const dataSource = new DataSource({
      ...connection(),
      entities: DPOP_TYPEORM_ENTITIES,
      migrations: DPOP_TYPEORM_MIGRATIONS,
      migrationsRun: true,
    });
    await dataSource.initialize();
    return { dataSource, store: new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0, ...options }) };
  };

  /** Runs `use` on a store with its own DataSource (TypeOrmDpopStore.open), closed afterwards. */
  const withStore = async (options: TypeOrmDpopStoreOptions, use: (store: TypeOrmDpopStore) => Promise<void>) => {
    const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0, ...options });
    try {
      await use(store);
    } finally {
      await store.close();
    }
  };

  it('groupCommit: false commits each insert before it returns, and answers a replay with false', () =>
    withStore({ groupCommit: false }, async (store) => {
      const id = key('sync');
      const first = store.rememberProof(id, Date.now() + 60_000);
      expect(committedRows(id)).toBe(1); // committed before the call returned, not a turn later
      expect(await first).toBe(true);
      expect(await store.rememberProof(id, Date.now() + 60_000)).toBe(false);
    }));

  it("group commit: a turn's inserts are written together on the next setImmediate, each answered after the COMMIT", () =>
    withStore({}, async (store) => {
      const [a, b] = [key('groupa'), key('groupb')];
      const first = store.rememberProof(a, Date.now() + 60_000);
      const second = store.rememberProof(b, Date.now() + 60_000);
      const twice = store.rememberProof(a, Date.now() + 60_000); // the same key twice in one turn
      expect(committedRows(a) + committedRows(b)).toBe(0); // nothing written yet
      // when an answer arrives, its record is committed (visible to another connection)
      const seen = await Promise.all(
        [first, second].map((p) => Promise.resolve(p).then((ok) => [ok, committedRows(a) + committedRows(b)])),
      );
      expect(seen).toEqual([
        [true, 2],
        [true, 2],
      ]);
      expect(await twice).toBe(false);
      expect(await store.rememberProof(a, Date.now() + 60_000)).toBe(false); // a replay in a later turn
    }));

  it("rememberProofs: a batch's records are committed at once, in one transaction, a key twice answered as a replay", () =>
    withStore({}, async (store) => {
      const ids = [key('batcha'), key('batchb'), key('batchc')];
      const answers = store.rememberProofs(
        [...ids, ids[1]!].map((id) => ({ key: id, expiresAt: Date.now() + 60_000 })),
      );
      // committed before the call returned, not a loop turn later
      expect(ids.map(committedRows).join('')).toBe('111');
      expect(await answers).toEqual([true, true, true, false]);
      const again = await store.rememberProofs([{ key: ids[0]!, expiresAt: Date.now() + 60_000 }]);
      expect(again).toEqual([false]);
    }));

  it('rememberProofs: a failed transaction refuses the whole batch and records none of it', () =>
    withStore({}, async (store) => {
      const ids = [key('bfaila'), key('bfailb')];
      expect(await store.rememberProof(key('bfailwarm'), Date.now() + 60_000)).toBe(true); // statements prepared
      await store.dataSource.query('ALTER TABLE dpop_replay_record RENAME TO dpop_replay_record_away');
      await expect(
        store.rememberProofs(ids.map((id) => ({ key: id, expiresAt: Date.now() + 60_000 }))),
      ).rejects.toThrow();
      await store.dataSource.query('ALTER TABLE dpop_replay_record_away RENAME TO dpop_replay_record');
      expect(ids.map(committedRows).join('')).toBe('00');
      expect(await store.rememberProofs(ids.map((id) => ({ key: id, expiresAt: Date.now() + 60_000 })))).toEqual([
        true,
        true,
      ]);
    }));

  it('group commit: a failed transaction refuses every insert of its turn; the next turn works again', () =>
    withStore({}, async (store) => {
      const [a, b] = [key('faila'), key('failb')];
      expect(await store.rememberProof(key('failwarm'), Date.now() + 60_000)).toBe(true); // statements prepared
      await store.dataSource.query('ALTER TABLE dpop_replay_record RENAME TO dpop_replay_record_away');
      const turn = [store.rememberProof(a, Date.now() + 60_000), store.rememberProof(b, Date.now() + 60_000)];
      const outcomes = await Promise.allSettled(turn);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      await store.dataSource.query('ALTER TABLE dpop_replay_record_away RENAME TO dpop_replay_record');
      expect(committedRows(a) + committedRows(b)).toBe(0);
      expect(await store.rememberProof(a, Date.now() + 60_000)).toBe(true);
      expect(await store.rememberProof(b, Date.now() + 60_000)).toBe(true);
    }));

  /** A real connection whose statements `sql` fail the first time they run. */
  const failingOnce = (database: Database.Database, ...sql: string[]): SqliteConnection => {
    const failing = new Set(sql);
    return {
      get inTransaction() {
        return database.inTransaction;
      },
      prepare(text: string) {
        const statement = database.prepare(text);
        return {
          run: (...parameters: unknown[]) => {
            if (failing.delete(text)) throw new Error('disk I/O error');
            return statement.run(...parameters);
          },
        };
      },
    };
  };
  const INSERT = 'INSERT INTO dpop_replay_record (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING';

  it('group commit: a COMMIT that fails refuses the whole turn and rolls it back; the next turn is written', async () => {
    const database = new Database(connection().database);
    const failing = failingOnce(database, 'COMMIT');
    const writer = new SqliteReplayWriter(() => failing, INSERT, true);
    try {
      const [a, b] = [key('commita'), key('commitb')];
      const outcomes = await Promise.allSettled([writer.remember(a, Date.now() + 60_000), writer.remember(b, 1)]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.value))).toEqual([
        'disk I/O error',
        'disk I/O error',
      ]);
      expect(database.inTransaction).toBe(false); // rolled back
      expect(committedRows(a) + committedRows(b)).toBe(0);
      expect(await writer.remember(a, Date.now() + 60_000)).toBe(true);
      expect(committedRows(a)).toBe(1);
    } finally {
      database.close();
    }
  });

  it('group commit: when the ROLLBACK fails too, the next turn rolls back first, then is written', async () => {
    const database = new Database(connection().database);
    const failing = failingOnce(database, 'COMMIT', 'ROLLBACK');
    const writer = new SqliteReplayWriter(() => failing, INSERT, true);
    try {
      const [a, b] = [key('rollbacka'), key('rollbackb')];
      await expect(writer.remember(a, Date.now() + 60_000)).rejects.toThrow('disk I/O error');
      expect(database.inTransaction).toBe(true); // still inside the failed turn's transaction
      expect(await writer.remember(b, Date.now() + 60_000)).toBe(true);
      expect(database.inTransaction).toBe(false);
      expect([committedRows(a), committedRows(b)]).toEqual([0, 1]);
    } finally {
      database.close();
    }
  });

  for (const groupCommit of [true, false]) {
    it(`groupCommit: ${groupCommit}: an insert waits for a transaction the app holds open on the shared DataSource, and is not rolled back with it`, async () => {
      const { dataSource, store } = await shared({ groupCommit });
      try {
        const id = key(`apptx${String(groupCommit)}`);
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        let answered = false;
        const answer = Promise.resolve(store.rememberProof(id, Date.now() + 60_000)).then((ok) => {
          answered = true;
          return ok;
        });
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(answered).toBe(false);
        await runner.rollbackTransaction();
        await runner.release();
        expect(await answer).toBe(true);
        expect(committedRows(id)).toBe(1); // written after the app's rollback, not inside it
      } finally {
        await store.close();
        await dataSource.destroy();
      }
    });
  }

  it('an app transaction held open for over a second: the proof is refused, never recorded inside it', async () => {
    const { dataSource, store } = await shared({});
    try {
      const runner = dataSource.createQueryRunner();
      await runner.startTransaction();
      const id = key('apptxlong');
      await expect(store.rememberProof(id, Date.now() + 60_000)).rejects.toThrow(/transaction of the app stayed open/);
      await runner.rollbackTransaction();
      await runner.release();
      expect(committedRows(id)).toBe(0);
    } finally {
      await store.close();
      await dataSource.destroy();
    }
  });
});
