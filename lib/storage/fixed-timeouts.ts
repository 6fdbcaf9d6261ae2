import { performance } from 'node:perf_hooks';

interface Deadline {
  readonly at: number;
  readonly reject: (error: Error) => void;
  readonly expired?: () => void;
  done: boolean;
}

/**
 * Bounds promises by one fixed time limit with a single timer. The limit is the same for every promise, so
 * their deadlines come in the order they were added, and the timer only ever waits for the oldest one that
 * is still open. A `setTimeout` and `clearTimeout` per Redis command cost more than the rest of the store's
 * wrapper around it. Used by both network stores (Redis, TypeORM on PostgreSQL and MySQL/MariaDB).
 * @internal
 */
export class FixedTimeouts {
  /** Open deadlines, oldest first from `head`; settled ones are skipped and dropped as the head passes them. */
  private readonly queue: Deadline[] = [];
  private head = 0;
  private timer?: NodeJS.Timeout;

  /**
   * @param ms the time limit, in ms
   * @param error what a promise that outlived it rejects with
   * @param now a monotonic clock, in ms (as the timer's): a wall clock set back would hold a hung command for as
   *   long as the jump, one set forward would refuse every command in flight at once
   */
  constructor(
    private readonly ms: number,
    private readonly error: () => Error,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Open deadlines (settled ones not yet dropped included). For tests. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /**
   * Settles like `promise`, or rejects with `error()` once the time limit has passed without it settling.
   * `settled` runs when `promise` itself settles, in time or not; `expired`, right after the rejection for the
   * time limit (to abandon the work behind `promise`, e.g. close the connection it hangs on).
   */
  bound<T>(promise: Promise<T>, settled: () => void, expired?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = { at: this.now() + this.ms, reject, expired, done: false };
      this.queue.push(deadline);
      if (this.timer === undefined) this.arm(this.ms);
      promise.then(
        (value) => {
          this.close(deadline);
          settled();
          resolve(value);
        },
        (error: unknown) => {
          this.close(deadline);
          settled();
          reject(error as Error);
        },
      );
    });
  }

  private close(deadline: Deadline): void {
    deadline.done = true;
    this.dropSettled();
  }

  /** Drops the settled deadlines at the head, so the queue holds about as many as are open. */
  private dropSettled(): void {
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.done) this.head++;
    if (this.head === queue.length) {
      queue.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= queue.length) {
      queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The timer does not keep the process alive: after the last command is answered it may still be armed. */
  private arm(ms: number): void {
    this.timer = setTimeout(this.expire, Math.max(1, ms)).unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = this.now();
    for (let i = this.head; i < this.queue.length; i++) {
      const deadline = this.queue[i]!;
      if (deadline.done) continue;
      // timers fire on whole milliseconds: one up to 1 ms early counts as due, rather than arming a 1 ms timer
      if (deadline.at > now + 1) {
        this.arm(deadline.at - now);
        break;
      }
      deadline.done = true;
      deadline.reject(this.error());
      deadline.expired?.();
    }
    this.dropSettled();
  };
}
