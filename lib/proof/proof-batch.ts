import type { ProofRecord } from './proof-replay-store.js';

/** A proof whose checks have passed, waiting for its replay record. @internal */
export interface CheckedProof<Result> {
  readonly result: Result;
  readonly record: ProofRecord;
}

interface Job<Result> {
  readonly check: () => CheckedProof<Result>;
  readonly resolve: (answer: { result: Result; fresh: boolean }) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The proof checks asked for during one event-loop turn, run back to back on the next
 * `setImmediate` (one callback for the whole turn), then the replay records of those
 * that passed written with one call of `recordAll` (the store's `rememberProofs`: one
 * SQLite transaction, one Redis script). Running the same costly code (an ES256 check)
 * N times in a row keeps it and its data in the CPU caches, where interleaving it with
 * each request's HTTP work evicts them (measured in `bench/RESULTS.md`); the handlers
 * then follow, also back to back. Each caller gets its own answer: its check's refusal,
 * or its record's answer (`fresh`), or the store's failure.
 *
 * Used only by `DpopVerifierService` (the module option `yieldToEventLoop`).
 * @internal
 */
export class ProofBatch<Result> {
  private jobs: Job<Result>[] = [];

  constructor(private readonly recordAll: (records: readonly ProofRecord[]) => Promise<boolean[]>) {}

  /** Runs `check` with this turn's batch; settles with its result and whether its record was new. */
  add(check: () => CheckedProof<Result>): Promise<{ result: Result; fresh: boolean }> {
    if (this.jobs.length === 0) setImmediate(this.runAll);
    return new Promise((resolve, reject) => this.jobs.push({ check, resolve, reject }));
  }

  private readonly runAll = (): void => {
    const jobs = this.jobs;
    this.jobs = [];
    const passed: Job<Result>[] = [];
    const checked: CheckedProof<Result>[] = [];
    for (const job of jobs) {
      try {
        checked.push(job.check());
        passed.push(job);
      } catch (error) {
        job.reject(error);
      }
    }
    if (passed.length === 0) return;
    let answers: Promise<boolean[]>;
    try {
      answers = this.recordAll(checked.map((proof) => proof.record));
    } catch (error) {
      for (const job of passed) job.reject(error);
      return;
    }
    answers.then(
      (fresh) => {
        if (!Array.isArray(fresh) || fresh.length !== passed.length) {
          const error = new Error('DpopStore.rememberProofs answered with another number of answers than records');
          for (const job of passed) job.reject(error);
          return;
        }
        for (let i = 0; i < passed.length; i++)
          passed[i]!.resolve({ result: checked[i]!.result, fresh: fresh[i] === true });
      },
      (error: unknown) => {
        for (const job of passed) job.reject(error);
      },
    );
  };
}
