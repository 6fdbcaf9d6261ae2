import { NextTurnBatch } from '../../internal/next-turn-batch.js';

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
 * - **Group commit** (the default): the inserts asked for in one event-loop turn are written on the next
 *   `setImmediate` (or, for the guard's batch of checks, `yieldToEventLoop`, as soon as the batch ends) in one
 *   transaction (`BEGIN`, the inserts, `COMMIT`, all in one synchronous step, so no
 *   other statement of the app can fall inside it and the write lock is held for microseconds). Each answer
 *   comes after that COMMIT: `true` for a new key, `false` for a replay; if the transaction fails, every
 *   insert of the turn is refused. A key asked for twice in one turn is a replay at once.
 * - **One commit per insert** (`groupCommit: false`): the answer is synchronous, a boolean.
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
  remember(key: string, expiresAt: number): boolean | Promise<boolean> {
    const connection = this.prepared();
    if (!this.groupCommit && !connection.inTransaction && !this.stuck && this.batch.keys.size === 0) {
      return this.insert.run(key, expiresAt).changes === 1;
    }
    // group commit, or waiting for an app transaction to end (one poller for all the waiting inserts)
    const batch = this.batch;
    if (batch.keys.has(key)) return false;
    if (!this.scheduled) {
      this.scheduled = true;
      if (!NextTurnBatch.atEndOfRunningBatch(this.scheduledFlush)) setImmediate(this.scheduledFlush);
    }
    return new Promise<boolean>((resolve, reject) => {
      batch.keys.add(key);
      batch.expiries.push(expiresAt);
      batch.settle.push((accepted) => (typeof accepted === 'boolean' ? resolve(accepted) : reject(accepted)));
    });
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
    const accepted: boolean[] = [];
    try {
      this.begin.run();
      let i = 0;
      for (const key of batch.keys) accepted.push(this.insert.run(key, batch.expiries[i++]).changes === 1);
      this.commit.run();
    } catch (error) {
      this.rollbackQuietly();
      for (const settle of batch.settle) settle(error as Error);
      return;
    }
    for (let i = 0; i < batch.settle.length; i++) batch.settle[i]!(accepted[i]!);
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
