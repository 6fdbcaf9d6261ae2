import { describe, expect, it } from 'vitest';
import { storeContract } from '../helpers/store-contract.js';
import { typeormCases, typeormHarness } from '../helpers/typeorm-harness.js';

// PostgreSQL on 127.0.0.1:5432 (npm run test:db); fails loudly when it is not reachable.
const PORT = Number(process.env.PGPORT ?? 5432);
const connection = (port = PORT) => ({
  type: 'postgres' as const,
  host: '127.0.0.1',
  port,
  username: 'postgres',
  database: 'test',
});

storeContract('PostgreSQL', typeormHarness(connection, PORT));
typeormCases('PostgreSQL', connection);

describe('TypeOrmDpopStore on PostgreSQL with a schema', () => {
  it('finds its tables in the DataSource schema (schema.table, each part quoted)', async () => {
    const { DataSource } = await import('typeorm');
    const { DPOP_TYPEORM_ENTITIES, DPOP_TYPEORM_MIGRATIONS, TypeOrmDpopStore } =
      await import('../../lib/storage/typeorm/index.js');
    const admin = new DataSource({
      type: 'postgres',
      host: '127.0.0.1',
      port: PORT,
      username: 'postgres',
      database: 'test',
    });
    await admin.initialize();
    await admin.query('DROP SCHEMA IF EXISTS dpop_app CASCADE');
    await admin.query('CREATE SCHEMA dpop_app');
    await admin.destroy();
    const dataSource = new DataSource({
      type: 'postgres',
      host: '127.0.0.1',
      port: PORT,
      username: 'postgres',
      database: 'test',
      schema: 'dpop_app',
      entities: DPOP_TYPEORM_ENTITIES,
      migrations: DPOP_TYPEORM_MIGRATIONS,
      migrationsRun: true,
    });
    await dataSource.initialize();
    const store = new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0 });
    try {
      const key = 'S'.repeat(43);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(true);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(false);
      const rows = (await dataSource.query('SELECT id FROM dpop_app.dpop_replay_record')) as { id: string }[];
      expect(rows.map((r) => r.id)).toEqual([key]);
      expect(await store.prune()).toBe(0);
    } finally {
      await store.close();
      await dataSource.destroy();
    }
  });
});
