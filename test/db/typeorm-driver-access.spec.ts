import { DataSource, type DataSourceOptions } from 'typeorm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverAccess } from '../../lib/storage/typeorm/driver-access.js';
import { DPOP_TYPEORM_ENTITIES, TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';

// The TypeORM store reads three driver internals (the pg pool, the mysql2 pool, the better-sqlite3 connection),
// all in lib/storage/typeorm/driver-access.ts. On the typeorm this repository develops with (1.x), each is found
// on a real database; test/db/typeorm-0.3.spec.ts runs the same check on typeorm 0.3.
const databases: [string, DataSourceOptions, string][] = [
  [
    'better-sqlite3',
    { type: 'better-sqlite3', database: join(mkdtempSync(join(tmpdir(), 'dpop-access-')), 'a.sqlite') },
    'sqlite-connection',
  ],
  [
    'PostgreSQL',
    { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', database: 'test' },
    'pg-pool',
  ],
  ['MariaDB', { type: 'mariadb', host: '127.0.0.1', port: 3306, username: 'root', database: 'test' }, 'mysql-pool'],
];

describe.each(databases)('TypeORM driver internals on %s (typeorm 1.x)', (_name, options, expected) => {
  it('are found where the store reads them, and the store works through them', async () => {
    const dataSource = new DataSource({ ...options, entities: DPOP_TYPEORM_ENTITIES, synchronize: true });
    await dataSource.initialize();
    try {
      expect(driverAccess(dataSource)).toBe(expected);
      const store = new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0 });
      const key = Buffer.from(`${expected}-${Date.now()}-${Math.random()}`)
        .toString('base64url')
        .padEnd(43, 'A')
        .slice(0, 43);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(true);
      expect(await store.rememberProof(key, Date.now() + 60_000)).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });
});
