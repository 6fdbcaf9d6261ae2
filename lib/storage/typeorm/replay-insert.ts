import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * The replay insert-if-absent run as a prepared statement straight on the DataSource's driver:
 * resolves with the affected row count (1 inserted, 0 already there). Rejects on any driver error.
 * (better-sqlite3 has its own synchronous path, `SqliteReplayWriter`.)
 * @internal
 */
export type ReplayInsert = (key: string, expiresAt: number) => Promise<number>;

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rowCount: number | null }>;
}
interface Mysql2Pool {
  execute(
    sql: string,
    values: unknown[],
    callback: (error: Error | null, result?: { affectedRows?: number }) => void,
  ): unknown;
}

/**
 * Builds the prepared path for the DataSource's driver, or undefined when the driver offers none
 * (then the store runs the statement through a TypeORM query runner, as any other query):
 * a pg named prepared statement through the driver's pool, mysql2 `execute` (prepared and cached
 * per connection by mysql2). TypeORM still owns the schema, migrations and connections.
 * @internal
 */
export function preparedReplayInsert(dataSource: DataSource, sql: string): ReplayInsert | undefined {
  const type = dataSource.options.type;
  const driver = dataSource.driver as unknown as { master?: PgPool; pool?: Mysql2Pool };
  if (type === 'postgres') {
    // one name per statement text: the table path may differ between DataSources
    const name = `dpop_replay_insert_${createHash('sha256').update(sql).digest('hex').slice(0, 12)}`;
    return async (key, expiresAt) => {
      const pool = driver.master;
      if (!pool) throw new Error('TypeOrmDpopStore: the PostgreSQL pool is closed');
      const result = await pool.query({ name, text: sql, values: [key, expiresAt] });
      return result.rowCount ?? 0;
    };
  }
  if ((type === 'mysql' || type === 'mariadb') && typeof driver.pool?.execute === 'function') {
    return (key, expiresAt) =>
      new Promise<number>((resolve, reject) => {
        const pool = driver.pool;
        if (!pool) return reject(new Error('TypeOrmDpopStore: the MySQL pool is closed'));
        pool.execute(sql, [key, expiresAt], (error, result) =>
          error ? reject(error) : resolve(result?.affectedRows ?? 0),
        );
      });
  }
  return undefined;
}
