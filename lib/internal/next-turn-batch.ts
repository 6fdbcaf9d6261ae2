/** The callbacks to run when the batch running now ends; undefined outside a batch. */
let endOfRunningBatch: (() => void)[] | undefined;

/**
 * Work asked for during one event-loop turn, run back to back on the next `setImmediate` (one callback for
 * the whole turn), each answer settling its own promise. Running the same costly code (an ES256 check) N
 * times in a row keeps it and its data in the CPU caches, where interleaving it with each request's HTTP
 * work evicts them; the handlers then follow, also back to back.
 * @internal
 */
export class NextTurnBatch {
  private jobs: (() => void)[] = [];

  private readonly runAll = () => {
    const jobs = this.jobs;
    this.jobs = [];
    const atEnd: (() => void)[] = [];
    endOfRunningBatch = atEnd;
    try {
      for (const job of jobs) job();
    } finally {
      endOfRunningBatch = undefined;
    }
    // each runs even if one before it throws (none should: a store's commit catches its own errors); then it is rethrown
    let failure: { error: unknown } | undefined;
    for (const callback of atEnd) {
      try {
        callback();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  };

  /**
   * When a batch is running: `callback` runs right after its last job, in the same callback (before any promise
   * reaction), and the answer is `true`. Otherwise `false`, and the caller schedules its work another way. A store
   * that writes the records asked for by one batch in one transaction commits it there, not a loop turn later.
   */
  static atEndOfRunningBatch(callback: () => void): boolean {
    if (endOfRunningBatch === undefined) return false;
    endOfRunningBatch.push(callback);
    return true;
  }

  /** Runs `work` on the next turn's batch; its result (or a promise of it) or what it throws settles the promise. */
  add<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.jobs.length === 0) setImmediate(this.runAll);
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        let result: T | Promise<T>;
        try {
          result = work();
        } catch (error) {
          return reject(error as Error);
        }
        // a promise is followed directly: resolve(promise) would take one more microtask to adopt it
        if (result instanceof Promise) result.then(resolve, reject);
        else resolve(result);
      });
    });
  }
}
