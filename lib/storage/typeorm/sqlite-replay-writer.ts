import type { ProofRecord } from '../../proof/proof-replay-store.js';

interface SqliteStatement {
  run(...parameters: unknown[]): { changes: number };
}

/** The part of a better-sqlite3 `Database` the writer uses. @internal */
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  readonly inTransaction: boolean;
}

/** How long inserts wait for a transaction the app holds open on the shared SQLite connection. */
const APP_TRANSACTION_WAIT_MS = 1000;
const APP_TRANSACTION_POLL_MS = 1;

/** Inserts waiting for the next commit, in parallel arrays (no object per insert). */
interface Batch {
  /** In insertion order. */
  keys: Set<string>;
  expiries: number[];
  settle: ((accepted: boolean | Error) => void)[];
}

const emptyBatch = (): Batch => ({ keys: new Set(), expiries: [], settle: [] });

/**
 * The replay insert-if-absent on a better-sqlite3 connection, as a prepared statement run straight on the
 * driver (TypeORM keeps the schema and the connection). Two ways to commit:
 *
 * - **A batch's records** (`rememberAll`, the verifier's batch of checks with `yieldToEventLoop`): written at
 *   once, in one transaction.
 * - **Group commit** (the default for single records): the inserts asked for in one event-loop turn are written
 *   on the next `setImmediate` in one transaction (`BEGIN`, the inserts, `COMMIT`, all in one synchronous step, so no
 *   other statement of the app can fall inside it and the write lock is held for microseconds). Each answer
 *   comes after that COMMIT: `true` for a new key, `false` for a replay; if the transaction fails, every
 *   insert of the turn is refused. A key asked for twice in one turn is a replay at once.
 * - **One commit per insert** (`groupCommit: false`): each insert committed at once.
 *
 * TypeORM has one connection per SQLite DataSource, so a transaction the app holds open across `await`s
 * would take in an insert made meanwhile, and lose it if the app rolled back. Inserts that find one are
 * queued as a batch that waits for it to end (one poller, every 1 ms, at most 1 s; then they reject and
 * the proofs are refused).
 * @internal
 */
export class SqliteReplayWriter {
  private connection?: SqliteConnection;
  private insert!: SqliteStatement;
  private begin!: SqliteStatement;
  private commit!: SqliteStatement;
  private rollback!: SqliteStatement;
  private batch = emptyBatch();
  private scheduled = false;
  private retry?: NodeJS.Timeout;
  /** A ROLLBACK of ours failed: the connection may still be inside our transaction. */
  private stuck = false;
  /** When the pending batch first found an app transaction open (0: it has not). */
  private waitingSince = 0;

  constructor(
    private readonly open: () => SqliteConnection | undefined,
    private readonly sql: string,
    private readonly groupCommit: boolean,
  ) {}

  /** `true`: the key is new and recorded; `false`: a replay. Throws or rejects on a database error. */
  remember(key: string, expiresAt: number): Promise<boolean> {
    const connection = this.prepared();
    if (!this.groupCommit && this.canWriteNow(connection)) {
      return Promise.resolve(this.insert.run(key, expiresAt).changes === 1);
    }
    return this.queue(key, expiresAt);
  }

  /** The records of one batch in one transaction, now; queued behind an app transaction or pending inserts. */
  rememberAll(records: readonly ProofRecord[]): Promise<boolean[]> {
    try {
      if (this.canWriteNow(this.prepared())) {
        return Promise.resolve(
          this.write(
            records.map((r) => r.key),
            records.map((r) => r.expiresAt),
          ),
        );
      }
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return Promise.all(records.map((record) => this.queue(record.key, record.expiresAt)));
  }

  /** Writes the pending inserts now, in one transaction, and answers them. */
  flush(): void {
    this.scheduled = false;
    clearTimeout(this.retry);
    const batch = this.batch;
    if (batch.keys.size === 0) return;
    let connection: SqliteConnection;
    try {
      connection = this.prepared();
    } catch (error) {
      return this.refuse(error as Error);
    }
    if (this.stuck) this.rollbackQuietly();
    if (this.stuck) return this.refuse(new Error('TypeOrmDpopStore: SQLite could not roll back a failed commit'));
    if (connection.inTransaction) return this.retryAfterAppTransaction();
    this.batch = emptyBatch();
    this.waitingSince = 0;
    let accepted: boolean[];
    try {
      accepted = this.write([...batch.keys], batch.expiries);
    } catch (error) {
      for (const settle of batch.settle) settle(error as Error);
      return;
    }
    for (let i = 0; i < batch.settle.length; i++) batch.settle[i]!(accepted[i]!);
  }

  /** No app transaction open, no failed ROLLBACK, nothing queued before: a write now keeps the order. */
  private canWriteNow(connection: SqliteConnection): boolean {
    return !connection.inTransaction && !this.stuck && this.batch.keys.size === 0;
  }

  /** BEGIN, the inserts, COMMIT, in one synchronous step; rolled back and thrown on any failure. */
  private write(keys: readonly string[], expiries: readonly number[]): boolean[] {
    const accepted: boolean[] = [];
    try {
      this.begin.run();
      for (let i = 0; i < keys.length; i++) accepted.push(this.insert.run(keys[i], expiries[i]).changes === 1);
      this.commit.run();
    } catch (error) {
      this.rollbackQuietly();
      throw error;
    }
    return accepted;
  }

  /** Adds an insert to the next commit (group commit, or waiting for an app transaction to end). */
  private queue(key: string, expiresAt: number): Promise<boolean> {
    const batch = this.batch;
    if (batch.keys.has(key)) return Promise.resolve(false); // asked for twice before the commit: a replay
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.scheduledFlush);
    }
    return new Promise<boolean>((resolve, reject) => {
      batch.keys.add(key);
      batch.expiries.push(expiresAt);
      batch.settle.push((accepted) => (typeof accepted === 'boolean' ? resolve(accepted) : reject(accepted)));
    });
  }

  private readonly scheduledFlush = () => this.flush();

  private retryAfterAppTransaction(): void {
    const now = Date.now();
    this.waitingSince ||= now;
    if (now - this.waitingSince >= APP_TRANSACTION_WAIT_MS) return this.refuse(appTransactionError());
    this.scheduled = true;
    this.retry = setTimeout(this.scheduledFlush, APP_TRANSACTION_POLL_MS);
  }

  private refuse(error: Error): void {
    const batch = this.batch;
    this.batch = emptyBatch();
    this.waitingSince = 0;
    for (const settle of batch.settle) settle(error);
  }

  private rollbackQuietly(): void {
    try {
      if (this.connection?.inTransaction) this.rollback.run();
      this.stuck = false;
    } catch {
      // the batch is refused either way; the next flush rolls back first, or refuses its batch too
      this.stuck = this.connection?.inTransaction === true;
    }
  }

  /** The statements, prepared again when the DataSource has reconnected. */
  private prepared(): SqliteConnection {
    const current = this.open();
    if (!current) throw new Error('TypeOrmDpopStore: the SQLite database is not open');
    if (current !== this.connection) {
      this.insert = current.prepare(this.sql);
      this.begin = current.prepare('BEGIN');
      this.commit = current.prepare('COMMIT');
      this.rollback = current.prepare('ROLLBACK');
      this.connection = current;
    }
    return current;
  }
}

const appTransactionError = () =>
  new Error('TypeOrmDpopStore: a SQLite transaction of the app stayed open over 1 s; the proof is refused');
