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
    for (const job of jobs) job();
  };

  /** Runs `work` on the next turn's batch; its result (or a promise of it) or what it throws settles the promise. */
  add<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.jobs.length === 0) setImmediate(this.runAll);
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error as Error);
        }
      });
    });
  }
}
