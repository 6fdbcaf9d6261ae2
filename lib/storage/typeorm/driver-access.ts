import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { FixedTimeouts } from '../fixed-timeouts.js';
import type { SqliteConnection } from './sqlite-replay-writer.js';

/*
 * Every read of TypeORM's driver internals is in this file, and nowhere else: the pg pool (`driver.master`), the
 * mysql2/mysql pool (`driver.pool`) and the better-sqlite3 connection (`driver.databaseConnection`). They are not
 * TypeORM's public API; `driverAccess()` says what was found, and a test runs it on typeorm 0.3 and 1.x against
 * real databases, so a release that moves them fails a test, not production.
 */

/** What the store found on a DataSource's driver. @internal */
export type DriverAccess = 'pg-pool' | 'mysql-pool' | 'sqlite-connection' | 'none';

interface DriverInternals {
  master?: PgPool;
  pool?: MysqlPool;
  databaseConnection?: SqliteConnection;
}

const internals = (dataSource: DataSource) => dataSource.driver as unknown as DriverInternals;

/** The driver internal the store uses on this (initialized) DataSource, or `'none'`. @internal */
export function driverAccess(dataSource: DataSource): DriverAccess {
  const driver = internals(dataSource);
  const type = dataSource.options.type;
  if (type === 'postgres' && typeof driver.master?.connect === 'function') return 'pg-pool';
  if ((type === 'mysql' || type === 'mariadb') && typeof driver.pool?.getConnection === 'function') {
    return 'mysql-pool';
  }
  if (type === 'better-sqlite3' && typeof driver.databaseConnection?.prepare === 'function') {
    return 'sqlite-connection';
  }
  return 'none';
}

/** The better-sqlite3 connection, read at each use (a reconnected DataSource has a new one). @internal */
export function sqliteConnection(dataSource: DataSource): () => SqliteConnection | undefined {
  const driver = internals(dataSource);
  return () => driver.databaseConnection;
}

/** What one statement gave back: the rows it read, and how many rows it inserted, changed or deleted. @internal */
export interface QueryResult {
  rows: Record<string, unknown>[];
  affected: number;
}

/**
 * One statement run straight on the DataSource's connection pool, as a prepared statement, within the store's time
 * limit (which counts the wait for a pooled connection too). Rejects on any driver error, and once the limit has
 * passed; then a connection the statement was sent on is closed and dropped from the pool (a connection that did
 * not answer in time is never trusted again, and never held: otherwise a database that stops answering would keep
 * each pooled connection busy for good, and the pool could not serve anything once it answers again), and a
 * statement still waiting for a connection is never sent. TypeORM still owns the schema, migrations and pool.
 * @internal
 */
export type DriverQuery = (sql: string, values: unknown[]) => Promise<QueryResult>;

interface PgClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  query(
    config: { name: string; text: string; values: unknown[] },
    callback: (error: Error | null, result: { rows: Record<string, unknown>[]; rowCount: number | null }) => void,
  ): void;
}
interface PgPool {
  /** `done(true)`: the pool closes the client (pg-pool destroys the socket of a client with a query in flight). */
  connect(callback: (error: Error | undefined, client: PgClient, done: (drop?: boolean) => void) => void): void;
}
type MysqlCallback = (error: Error | null, result?: Record<string, unknown>[] | { affectedRows?: number }) => void;
interface MysqlConnection {
  /** mysql2; the `mysql` package has only `query`. */
  execute?(sql: string, values: unknown[], callback: MysqlCallback): unknown;
  query(sql: string, values: unknown[], callback: MysqlCallback): unknown;
  release(): void;
  /** Closes the connection and drops it from its pool. */
  destroy(): void;
}
interface MysqlPool {
  getConnection(callback: (error: Error | null, connection: MysqlConnection) => void): void;
}

const nothing = () => undefined;

/**
 * The bounded path for the DataSource's pool (pg, mysql2 or mysql), or undefined when it has none the store knows
 * (SQLite, a MySQL pool cluster): then statements go through a TypeORM query runner.
 * @internal
 */
export function driverQuery(dataSource: DataSource, timeouts: FixedTimeouts): DriverQuery | undefined {
  const type = dataSource.options.type;
  const driver = internals(dataSource);
  if (type === 'postgres') {
    // one name per statement text: the table path may differ between DataSources
    const names = new Map<string, string>();
    const nameOf = (sql: string) => {
      let name = names.get(sql);
      if (name === undefined) {
        name = `dpop_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
        names.set(sql, name);
      }
      return name;
    };
    return (sql, values) => {
      const pool = driver.master;
      if (!pool) return Promise.reject(new Error('TypeOrmDpopStore: the PostgreSQL pool is closed'));
      let expired = false;
      let abandon: () => void = nothing;
      const work = new Promise<QueryResult>((resolve, reject) => {
        pool.connect((error, client, done) => {
          if (error) return reject(error);
          if (expired) return done(); // gave up while waiting for it: the statement is never sent
          let released = false;
          const release = (drop: boolean) => {
            if (released) return;
            released = true;
            done(drop);
          };
          // As pg-pool's own pool.query: a connection error while the client is out of the pool is this query's,
          // and any error drops the client. The answer comes by callback, in the same tick as the server's
          // reply: a promise would let a FATAL that arrived in the same packet (a shutdown just after the
          // COMMIT) refuse a record that was written.
          const failed = (error: Error) => {
            client.removeListener('error', failed);
            release(true);
            reject(error);
          };
          client.on('error', failed);
          abandon = () => release(true);
          client.query({ name: nameOf(sql), text: sql, values }, (error, result) => {
            if (error) return failed(error);
            client.removeListener('error', failed);
            release(false);
            resolve({ rows: result.rows, affected: result.rowCount ?? 0 });
          });
        });
      });
      return timeouts.bound(work, nothing, () => {
        expired = true;
        abandon();
      });
    };
  }
  if ((type === 'mysql' || type === 'mariadb') && typeof driver.pool?.getConnection === 'function') {
    return (sql, values) => {
      const pool = driver.pool;
      if (!pool) return Promise.reject(new Error('TypeOrmDpopStore: the MySQL pool is closed'));
      let expired = false;
      let abandon: () => void = nothing;
      const work = new Promise<QueryResult>((resolve, reject) => {
        pool.getConnection((error, connection) => {
          if (error) return reject(error);
          if (expired) return connection.release(); // gave up while waiting for it: the statement is never sent
          let released = false;
          abandon = () => {
            if (released) return;
            released = true;
            connection.destroy();
          };
          // mysql2 prepares the statement once per connection and keeps it
          const run = connection.execute ?? connection.query;
          run.call(connection, sql, values, (error, result) => {
            if (!released) {
              released = true;
              connection.release();
            }
            if (error) return reject(error);
            if (Array.isArray(result)) resolve({ rows: result, affected: result.length });
            else resolve({ rows: [], affected: result?.affectedRows ?? 0 });
          });
        });
      });
      return timeouts.bound(work, nothing, () => {
        expired = true;
        abandon();
      });
    };
  }
  return undefined;
}
