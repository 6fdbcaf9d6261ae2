import { describe, expect, it } from 'vitest';
import { runInPackedApp } from '../helpers/packed-app.js';

/**
 * The peer range says typeorm 0.3 or 1.x; the repository develops on 1.x. This installs the packed library
 * next to typeorm 0.3 and pg in a scratch app and runs the store against the local PostgreSQL.
 */

const SCRIPT = `
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { TypeOrmDpopStore } from 'nestjs-dpop/typeorm';
// not an entry of the package: the file that reads TypeORM's driver internals, checked on this typeorm
const { driverAccess } = await import('./node_modules/nestjs-dpop/dist/esm/storage/typeorm/driver-access.js');
const typeorm = JSON.parse((await import('node:fs')).readFileSync('node_modules/typeorm/package.json', 'utf8')).version;
const store = await TypeOrmDpopStore.open(
  { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', database: 'test' },
  { pruneIntervalSeconds: 0 },
);
const access = { postgres: driverAccess(store.dataSource) };
const maria = await TypeOrmDpopStore.open(
  { type: 'mariadb', host: '127.0.0.1', port: 3306, username: 'root', database: 'test' },
  { pruneIntervalSeconds: 0 },
);
access.mariadb = driverAccess(maria.dataSource);
const mariaKey = createHash('sha256').update('typeorm03-maria-' + Date.now()).digest('base64url');
const mariaAnswers = [await maria.rememberProof(mariaKey, Date.now() + 60000), await maria.rememberProof(mariaKey, Date.now() + 60000)];
await maria.close();
const key = createHash('sha256').update('typeorm03-' + Date.now()).digest('base64url');
const results = await Promise.all(Array.from({ length: 100 }, () => store.rememberProof(key, Date.now() + 60000)));
await store.saveRefreshTokenBinding({ tokenHash: key, jkt: key, clientId: 'c', expiresAt: Date.now() + 60000 });
const binding = await store.findRefreshTokenBinding(key);
await store.rememberProof(createHash('sha256').update('old-' + Date.now()).digest('base64url'), Date.now() - 1);
const pruned = await store.prune();
await store.deleteRefreshTokenBinding(key);
await store.close();
console.log(JSON.stringify({ typeorm, access, mariaAnswers, inserted: results.filter(Boolean).length, binding: binding?.clientId, pruned }));
`;

describe('TypeOrmDpopStore on typeorm 0.3 (packed library)', () => {
  it('inserts a proof once under concurrency, keeps bindings and prunes', { timeout: 300_000 }, () => {
    const result = runInPackedApp({
      type: 'module',
      dependencies: {
        typeorm: '^0.3.20',
        pg: '^8.11.0',
        mysql2: '^3.9.0',
        '@nestjs/common': '^11.1.0',
        '@nestjs/core': '^11.1.0',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.0',
      },
      file: 'check.mjs',
      source: SCRIPT,
    });
    expect(result.typeorm).toMatch(/^0\.3\./);
    // the driver internals the store reads are where it reads them on typeorm 0.3 too
    expect(result.access).toEqual({ postgres: 'pg-pool', mariadb: 'mysql-pool' });
    expect(result.mariaAnswers).toEqual([true, false]);
    expect(result.inserted).toBe(1);
    expect(result.binding).toBe('c');
    expect(result.pruned).toBeGreaterThanOrEqual(1);
  });
});
