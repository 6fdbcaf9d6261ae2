import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopStore } from '../../lib/index.js';
import { DPOP_TYPEORM_ENTITIES, DPOP_TYPEORM_MIGRATIONS, TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import type { StoreHarness } from './store-contract.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * The contract's harness for TypeOrmDpopStore: `connection(port?)` gives DataSource options (port: through a
 * proxy, to cut the database off); without `targetPort` the outage is a DataSource destroyed and re-initialized.
 */
export function typeormHarness(connection: (port?: number) => DataSourceOptions, targetPort?: number): StoreHarness {
  const open = () => TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
  return {
    open,
    close: (store) => (store as TypeOrmDpopStore).close(),
    validatesKeys: true,
    async recordExpiry(store, key) {
      const { dataSource } = store as TypeOrmDpopStore;
      const [row] = (await dataSource
        .createQueryBuilder()
        .select('r.expires_at', 'expires')
        .from('dpop_replay_record', 'r')
        .where('r.id = :key', { key })
        .getRawMany()) as { expires: string | number }[];
      return row === undefined ? undefined : Number(row.expires);
    },
    async outage() {
      if (targetPort === undefined) {
        const store = await open();
        return {
          store,
          cut: () => store.dataSource.destroy(),
          restore: async () => void (await store.dataSource.initialize()),
          dispose: () => store.close(),
        };
      }
      const proxy = new TcpProxy(targetPort);
      const store = await TypeOrmDpopStore.open(connection(await proxy.start()), { pruneIntervalSeconds: 0 });
      return {
        store,
        cut: () => proxy.cut(),
        restore: () => proxy.restore(),
        dispose: async () => {
          await store.close();
          await proxy.cut();
        },
      };
    },
  };
}

/** What only the TypeORM store has: the app's own DataSource, and pruning. */
export function typeormCases(name: string, connection: () => DataSourceOptions) {
  describe(`TypeOrmDpopStore on ${name}`, () => {
    const stores: DpopStore[] = [];
    beforeAll(async () => {
      const setup = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
      await setup.dataSource.query('DELETE FROM dpop_replay_record');
      await setup.dataSource.query('DELETE FROM dpop_refresh_token_binding');
      await setup.close();
    });
    afterAll(async () => {
      for (const store of stores) await (store as TypeOrmDpopStore).close();
    });

    it("works on the app's own DataSource and leaves it open", async () => {
      const dataSource = new DataSource({
        ...connection(),
        entities: DPOP_TYPEORM_ENTITIES,
        migrations: DPOP_TYPEORM_MIGRATIONS,
        migrationsRun: true,
      } as DataSourceOptions);
      await dataSource.initialize();
      const store = new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0 });
      const key = 'D'.repeat(42) + String(Date.now() % 10);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(true);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(false);
      await store.close();
      expect(dataSource.isInitialized).toBe(true); // the store does not close a DataSource it was given
      await dataSource.destroy();
    });

    it('with synchronize: true, keys that differ only in case are distinct (both recorded as new)', async () => {
      const dataSource = await synchronized(connection());
      const store = new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0 });
      try {
        const lower = `dpop-case-${Date.now()}`.padEnd(43, 'k');
        const upper = lower.toUpperCase();
        const later = Date.now() + 60_000;
        const recorded = [await store.rememberProof(lower, later), await store.rememberProof(upper, later)];
        expect.soft(recorded).toEqual([true, true]);
        expect(await store.rememberProof(upper, later)).toBe(false);
        const binding = (tokenHash: string, clientId: string) => ({
          tokenHash,
          jkt: lower,
          clientId,
          expiresAt: later,
        });
        await store.saveRefreshTokenBinding(binding(lower, 'lower'));
        await store.saveRefreshTokenBinding(binding(upper, 'upper'));
        const found = [await store.findRefreshTokenBinding(lower), await store.findRefreshTokenBinding(upper)];
        expect.soft(found).toEqual([binding(lower, 'lower'), binding(upper, 'upper')]);
      } finally {
        await store.close();
        await dataSource.destroy();
      }
    });

    it('pruning removes only expired rows, in bounded batches', async () => {
      const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0, pruneBatchSize: 7 });
      stores.push(store);
      await store.dataSource.query('DELETE FROM dpop_replay_record');
      await store.dataSource.query('DELETE FROM dpop_refresh_token_binding');
      const now = Date.now();
      const id = (i: number, tag: string) => `${tag}${String(i).padStart(43 - tag.length, '0')}`;
      for (let i = 0; i < 30; i++) await store.rememberProof(id(i, 'old'), now - 1000);
      for (let i = 0; i < 12; i++) await store.rememberProof(id(i, 'new'), now + 60_000);
      const binding = (tag: string, expiresAt: number) => ({
        tokenHash: id(1, tag),
        jkt: id(1, 'k'),
        clientId: 'c',
        expiresAt,
      });
      await store.saveRefreshTokenBinding(binding('rtold', now - 1));
      await store.saveRefreshTokenBinding(binding('rtnew', now + 60_000));
      expect(await store.prune()).toBe(31);
      const rows = (await store.dataSource.query('SELECT id FROM dpop_replay_record')) as { id: string }[];
      expect(rows.map((r) => r.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => id(i, 'new')).sort());
      expect(await store.findRefreshTokenBinding(id(1, 'rtnew'))).toBeDefined();
      expect(await store.prune()).toBe(0);
    });
  });
}

/**
 * A DataSource whose tables TypeORM creates from the entities (`synchronize: true`), in a schema of its own (a
 * PostgreSQL schema, a MariaDB database, an in-memory SQLite database), dropped and made again each time.
 */
async function synchronized(connection: DataSourceOptions): Promise<DataSource> {
  const own: Partial<Record<DataSourceOptions['type'], object>> = {
    postgres: { schema: 'dpop_synchronized' },
    mariadb: { database: 'dpop_synchronized' },
    'better-sqlite3': { database: ':memory:' },
  };
  if (connection.type === 'postgres' || connection.type === 'mariadb') {
    const admin = new DataSource(connection);
    await admin.initialize();
    await admin.query(
      connection.type === 'postgres'
        ? 'CREATE SCHEMA IF NOT EXISTS dpop_synchronized'
        : 'CREATE DATABASE IF NOT EXISTS dpop_synchronized',
    );
    await admin.destroy();
  }
  const dataSource = new DataSource({
    ...connection,
    ...own[connection.type],
    entities: DPOP_TYPEORM_ENTITIES,
    synchronize: true,
    dropSchema: true,
  } as DataSourceOptions);
  return dataSource.initialize();
}
