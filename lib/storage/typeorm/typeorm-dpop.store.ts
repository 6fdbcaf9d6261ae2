import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { DPOP_LOGGER_CONTEXT } from '../../dpop.constants.js';
import { DpopConfigurationError } from '../../dpop.errors.js';
import { DpopStore } from '../dpop-store.js';
import type { RefreshTokenBinding } from '../refresh-token-binding.js';
import { DPOP_TYPEORM_MIGRATIONS } from './dpop-store.migration.js';
import { DpopRefreshTokenBinding, DpopReplayRecord, DPOP_TYPEORM_ENTITIES } from './dpop-typeorm.entities.js';
import { driverQuery, sqliteConnection, type DriverQuery, type QueryResult } from './driver-access.js';
import type { ProofRecord } from '../../proof/proof-replay-store.js';
import { SqliteReplayWriter } from './sqlite-replay-writer.js';
import { BASE64URL_SHA256 } from '../../internal/patterns.js';
import { assertBoolean, assertInteger, assertNumber } from '../../internal/assert-options.js';
import { DPOP_DEFAULTS } from '../../options/dpop-default-options.js';
import { FixedTimeouts } from '../fixed-timeouts.js';

/** Options of {@link TypeOrmDpopStore}. @publicApi */
export interface TypeOrmDpopStoreOptions {
  /** How often expired rows are deleted, in seconds; 0 turns pruning off. @default 60 */
  pruneIntervalSeconds?: number;
  /** Rows deleted per statement while pruning. @default 1000 */
  pruneBatchSize?: number;
  /** Statements per pruning run at most (so one run stays short). @default 100 */
  maxPruneBatches?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
  /**
   * better-sqlite3 only. `true`: the replay inserts asked for in one event-loop turn are written together on
   * the next `setImmediate`, in one transaction, and each proof is answered after that COMMIT: one commit
   * per turn instead of one per request, which under load halves what the store costs. `false`: each insert
   * commits on its own and answers synchronously (a little less latency on an idle server).
   * @default true
   */
  groupCommit?: boolean;
  /**
   * Longest wait for one statement, in ms, the wait for a pooled connection included (1–60000; the same default as
   * the Redis store's `commandTimeoutMs`). A statement that takes longer (the database hung, unreachable behind a
   * half-open connection) is abandoned and the request refused with 503, never accepted; its connection is closed
   * and dropped from the pool, so the store serves again as soon as the database answers. On PostgreSQL and
   * MySQL/MariaDB; on better-sqlite3 the replay check runs synchronously in the process and cannot hang on a
   * network (its wait for an app transaction is bounded at 1 s).
   * @default 1000
   */
  queryTimeoutMs?: number;
}

/** Where {@link TypeOrmDpopStore.open} puts its database by default. @publicApi */
export const DEFAULT_DPOP_SQLITE_FILE = DPOP_DEFAULTS.typeOrmStore.sqliteFile;

type Dialect = 'sqlite' | 'postgres' | 'mysql';
const DIALECTS: Record<string, Dialect> = {
  'better-sqlite3': 'sqlite',
  sqlite: 'sqlite',
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
};

interface Statements {
  insertReplay: string;
  saveBinding: string;
  findBinding: string;
  deleteBinding: string;
  pruneReplay: string;
  pruneBindings: string;
}

function statements(dialect: Dialect, replay: string, bindings: string): Statements {
  const p = dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
  const binding = {
    findBinding: `SELECT jkt, client_id, expires_at FROM ${bindings} WHERE token_hash = ${p(1)}`,
    deleteBinding: `DELETE FROM ${bindings} WHERE token_hash = ${p(1)}`,
  };
  const insertBinding = `INSERT INTO ${bindings} (token_hash, jkt, client_id, expires_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`;
  switch (dialect) {
    case 'mysql':
      return {
        ...binding,
        insertReplay: `INSERT IGNORE INTO ${replay} (id, expires_at) VALUES (?, ?)`,
        saveBinding: `${insertBinding} ON DUPLICATE KEY UPDATE jkt = VALUES(jkt), client_id = VALUES(client_id), expires_at = VALUES(expires_at)`,
        pruneReplay: `DELETE FROM ${replay} WHERE expires_at <= ? LIMIT ?`,
        pruneBindings: `DELETE FROM ${bindings} WHERE expires_at <= ? LIMIT ?`,
      };
    default:
      return {
        ...binding,
        insertReplay: `INSERT INTO ${replay} (id, expires_at) VALUES (${p(1)}, ${p(2)}) ON CONFLICT (id) DO NOTHING`,
        saveBinding:
          `${insertBinding} ON CONFLICT (token_hash) DO UPDATE SET ` +
          'jkt = excluded.jkt, client_id = excluded.client_id, expires_at = excluded.expires_at',
        pruneReplay: `DELETE FROM ${replay} WHERE id IN (SELECT id FROM ${replay} WHERE expires_at <= ${p(1)} LIMIT ${p(2)})`,
        pruneBindings:
          `DELETE FROM ${bindings} WHERE token_hash IN ` +
          `(SELECT token_hash FROM ${bindings} WHERE expires_at <= ${p(1)} LIMIT ${p(2)})`,
      };
  }
}

/** WAL pages between automatic checkpoints on a SQLite file the store opens itself (SQLite's default: 1000). */
const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Replay records and refresh-token bindings in a relational database through
 * TypeORM: embedded SQLite (better-sqlite3) for one instance, PostgreSQL or
 * MySQL/MariaDB for several instances sharing one database.
 *
 * Use your app's `DataSource` (its `entities` must include
 * `DPOP_TYPEORM_ENTITIES`, and its `migrations` `DPOP_TYPEORM_MIGRATIONS` or
 * `synchronize` on), or let {@link TypeOrmDpopStore.open} create one.
 * A replay check is one atomic statement (insert-or-ignore and the affected
 * row count), never a read followed by a write, prepared once on the
 * DataSource's driver (better-sqlite3, pg, mysql2) so the request path skips
 * TypeORM's query building; TypeORM keeps the schema and the connections. Expired rows are deleted in
 * bounded batches on a timer, off the request path. Database errors reject,
 * so the verifier refuses the proof (fail closed); on PostgreSQL and MySQL/MariaDB every statement is bounded by
 * `queryTimeoutMs`, and one that outlives it rejects the same way.
 * @publicApi
 */
export class TypeOrmDpopStore extends DpopStore implements OnModuleDestroy {
  private readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  private readonly dialect: Dialect;
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly maxBatches: number;
  private sql?: Statements;
  /** Statements on the pg or mysql2 pool (undefined: through a TypeORM query runner, and {@link sqlite}). */
  private query?: DriverQuery;
  /** Every statement's time limit, on one timer. */
  private readonly timeouts: FixedTimeouts;
  /** The replay insert on better-sqlite3. */
  private sqlite?: SqliteReplayWriter;
  private readonly groupCommit: boolean;
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<number>;

  /**
   * @param dataSource an initialized (or soon initialized) DataSource that knows the DPoP entities
   * @param ownsDataSource destroy the DataSource in `close()`
   */
  constructor(
    readonly dataSource: DataSource,
    options: TypeOrmDpopStoreOptions = {},
    private readonly ownsDataSource = false,
  ) {
    super();
    const dialect = DIALECTS[dataSource.options.type];
    if (!dialect) {
      throw new DpopConfigurationError(
        `TypeOrmDpopStore supports better-sqlite3, sqlite, postgres, mysql and mariadb DataSources, not "${dataSource.options.type}".`,
      );
    }
    this.dialect = dialect;
    const defaults = DPOP_DEFAULTS.typeOrmStore;
    this.now = options.now ?? Date.now;
    this.batchSize = options.pruneBatchSize ?? defaults.pruneBatchSize;
    this.maxBatches = options.maxPruneBatches ?? defaults.maxPruneBatches;
    this.groupCommit = options.groupCommit ?? defaults.groupCommit;
    const interval = options.pruneIntervalSeconds ?? defaults.pruneIntervalSeconds;
    const timeoutMs = options.queryTimeoutMs ?? defaults.queryTimeoutMs;
    assertInteger('TypeOrmDpopStore', 'pruneBatchSize', this.batchSize, 1);
    assertInteger('TypeOrmDpopStore', 'maxPruneBatches', this.maxBatches, 1);
    assertBoolean('TypeOrmDpopStore', 'groupCommit', this.groupCommit);
    assertNumber('TypeOrmDpopStore', 'pruneIntervalSeconds', interval, 0);
    assertInteger('TypeOrmDpopStore', 'queryTimeoutMs', timeoutMs, 1, 60_000);
    this.timeouts = new FixedTimeouts(
      timeoutMs,
      () => new Error(`TypeOrmDpopStore: a statement took longer than ${timeoutMs} ms`),
    );
    if (interval > 0) {
      this.timer = setInterval(() => void this.prune().catch(() => undefined), interval * 1000);
      this.timer.unref();
    }
  }

  /**
   * Creates a DataSource for the store alone, runs the shipped migration and
   * returns the store (which closes the DataSource in `close()`). Defaults to
   * an embedded SQLite file in WAL mode at `.data/dpop.sqlite`. A better-sqlite3
   * file in WAL mode gets, unless you give `prepareDatabase`:
   * - `synchronous = NORMAL` (SQLite's advice for WAL: no fsync per commit;
   *   records survive an app crash or restart, an OS crash or power loss may
   *   drop the last moments);
   * - `wal_autocheckpoint = 10000` (pages; SQLite's default is 1000): replay
   *   keys are random, so each record dirties its own index page, and a page
   *   written many times between two checkpoints is copied into the database
   *   once. Measured: about a third less system time per insert; the WAL file
   *   grows to about 40 MiB with 4 KiB pages.
   */
  static async open(
    connection: DataSourceOptions = { type: 'better-sqlite3', database: DEFAULT_DPOP_SQLITE_FILE, enableWAL: true },
    options: TypeOrmDpopStoreOptions = {},
  ): Promise<TypeOrmDpopStore> {
    if (connection.type === 'better-sqlite3' && connection.database !== ':memory:') {
      const { mkdirSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      mkdirSync(dirname(connection.database), { recursive: true });
    }
    if (connection.type === 'better-sqlite3' && connection.enableWAL && !connection.prepareDatabase) {
      connection = {
        ...connection,
        prepareDatabase: (db: { pragma(sql: string): unknown }) => {
          db.pragma('synchronous = NORMAL');
          db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_AUTOCHECKPOINT_PAGES}`);
        },
      };
    }
    const dataSource = new DataSource({
      ...connection,
      entities: DPOP_TYPEORM_ENTITIES,
      migrations: DPOP_TYPEORM_MIGRATIONS,
      migrationsRun: true,
      synchronize: false,
    } as DataSourceOptions);
    await dataSource.initialize();
    return new TypeOrmDpopStore(dataSource, options, true);
  }

  /**
   * Resolves after the record is committed: on better-sqlite3 with `groupCommit`, after its turn's COMMIT;
   * without it, synchronously (a boolean). A database error rejects (the proof is refused).
   */
  rememberProof(key: string, expiresAt: number): Promise<boolean> {
    try {
      if (!BASE64URL_SHA256.test(key) || !Number.isSafeInteger(expiresAt))
        throw new Error('TypeOrmDpopStore: malformed replay key');
      const sql = this.statements().insertReplay;
      if (this.sqlite) return this.sqlite.remember(key, expiresAt);
      return this.run(sql, [key, expiresAt]).then(inserted);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * A batch's records: on better-sqlite3 in one transaction, at once; on other databases one insert each
   * (what {@link rememberProof} does). A database error rejects (every proof of the batch is refused).
   */
  override rememberProofs(records: readonly ProofRecord[]): Promise<boolean[]> {
    this.statements();
    if (!this.sqlite) return super.rememberProofs(records);
    for (const { key, expiresAt } of records) {
      if (!BASE64URL_SHA256.test(key) || !Number.isSafeInteger(expiresAt)) {
        return Promise.reject(new Error('TypeOrmDpopStore: malformed replay key'));
      }
    }
    return this.sqlite.rememberAll(records);
  }

  async saveRefreshTokenBinding(binding: RefreshTokenBinding): Promise<void> {
    if (!BASE64URL_SHA256.test(binding.tokenHash) || !BASE64URL_SHA256.test(binding.jkt)) {
      throw new Error('TypeOrmDpopStore: a binding needs a 43-character token hash and thumbprint');
    }
    const { tokenHash, jkt, clientId, expiresAt } = binding;
    await this.run(this.statements().saveBinding, [tokenHash, jkt, clientId, expiresAt]);
  }

  async findRefreshTokenBinding(tokenHash: string): Promise<RefreshTokenBinding | undefined> {
    if (!BASE64URL_SHA256.test(tokenHash)) return undefined;
    const [row] = (await this.run(this.statements().findBinding, [tokenHash])).rows;
    if (!row) return undefined;
    // bigint comes back as a string from PostgreSQL and MySQL; times fit a JS number
    const expiresAt = Number(row.expires_at);
    if (!(expiresAt > this.now())) return undefined;
    return { tokenHash, jkt: String(row.jkt), clientId: String(row.client_id), expiresAt };
  }

  async deleteRefreshTokenBinding(tokenHash: string): Promise<void> {
    if (!BASE64URL_SHA256.test(tokenHash)) return; // never stored
    await this.run(this.statements().deleteBinding, [tokenHash]);
  }

  /**
   * Deletes expired replay records and bindings in batches; resolves with
   * the number of rows removed. Runs on the timer; one run at a time.
   */
  prune(): Promise<number> {
    this.pruning ??= this.pruneBatches().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  /** Stops the pruning timer and, when the store made its DataSource, closes it. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pruning?.catch(() => undefined);
    this.sqlite?.flush();
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  private async pruneBatches(): Promise<number> {
    const now = this.now();
    let removed = 0;
    try {
      for (const statement of [this.statements().pruneReplay, this.statements().pruneBindings]) {
        for (let batch = 0; batch < this.maxBatches; batch++) {
          const { affected: deleted } = await this.run(statement, [now, this.batchSize]);
          removed += deleted;
          if (deleted < this.batchSize) break;
        }
      }
    } catch (error) {
      this.logger.warn(`Pruning expired DPoP records failed; will retry: ${(error as Error).message}`);
      throw error;
    }
    return removed;
  }

  private statements(): Statements {
    if (!this.sql) {
      if (!this.dataSource.isInitialized) throw new Error('TypeOrmDpopStore: the DataSource is not initialized');
      if (!this.dataSource.hasMetadata(DpopReplayRecord) || !this.dataSource.hasMetadata(DpopRefreshTokenBinding)) {
        throw new DpopConfigurationError(
          'TypeOrmDpopStore: add DPOP_TYPEORM_ENTITIES to your DataSource "entities" (and DPOP_TYPEORM_MIGRATIONS to "migrations").',
        );
      }
      // tablePath may be schema.table: escape each part.
      const escape = (entity: typeof DpopReplayRecord | typeof DpopRefreshTokenBinding) =>
        this.dataSource
          .getMetadata(entity)
          .tablePath.split('.')
          .map((part) => this.dataSource.driver.escape(part))
          .join('.');
      this.sql = statements(this.dialect, escape(DpopReplayRecord), escape(DpopRefreshTokenBinding));
      if (this.dataSource.options.type === 'better-sqlite3') {
        const connection = sqliteConnection(this.dataSource);
        this.sqlite = new SqliteReplayWriter(connection, this.sql.insertReplay, this.groupCommit);
      } else {
        this.query = driverQuery(this.dataSource, this.timeouts);
      }
    }
    return this.sql;
  }

  /** Runs one statement within the time limit: on the driver's pool, or through a TypeORM query runner. */
  private run(sql: string, parameters: unknown[]): Promise<QueryResult> {
    if (this.query) return this.query(sql, parameters);
    return this.timeouts.bound(this.runOnQueryRunner(sql, parameters), () => undefined);
  }

  private async runOnQueryRunner(sql: string, parameters: unknown[]): Promise<QueryResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, parameters, true);
      const rows = Array.isArray(result.records) ? (result.records as Record<string, unknown>[]) : [];
      return { rows, affected: result.affected ?? 0 };
    } finally {
      await runner.release();
    }
  }
}

const inserted = ({ affected }: QueryResult) => affected === 1;
