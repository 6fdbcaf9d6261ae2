import { afterEach, describe, expect, it, vi } from 'vitest';
import { FixedTimeouts } from '../../lib/storage/fixed-timeouts.js';

const late = () => new Error('too late');
const never = () => new Promise<never>(() => {});
const realSetTimeout = setTimeout; // the spy below counts the timers of FixedTimeouts only
const sleep = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

describe('FixedTimeouts (the Redis and SQL stores: every operation bounded, on one timer)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('passes on what settles in time, and reports each settling once', async () => {
    const timeouts = new FixedTimeouts(50, late);
    let settled = 0;
    const count = () => void settled++;
    await expect(timeouts.bound(Promise.resolve('OK'), count)).resolves.toBe('OK');
    await expect(timeouts.bound(Promise.reject(new Error('READONLY')), count)).rejects.toThrow('READONLY');
    expect(settled).toBe(2);
    expect(timeouts.size).toBe(0);
  });

  it('rejects what outlives the limit, not before it; a late answer is still reported as settled', async () => {
    const timeouts = new FixedTimeouts(40, late);
    let settled = 0;
    let answer!: (value: string) => void;
    const started = Date.now();
    const hung = timeouts.bound(new Promise<string>((resolve) => (answer = resolve)), () => void settled++);
    await expect(hung).rejects.toThrow('too late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(38); // 40 ms, give or take the timer's whole milliseconds
    expect(settled).toBe(0); // still awaiting Redis
    answer('OK');
    await sleep(0);
    expect(settled).toBe(1);
    expect(timeouts.size).toBe(0);
  });

  it('holds one timer for many commands, and times out only the ones past their own deadline', async () => {
    const timeouts = new FixedTimeouts(60, late);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const outcomes: string[] = [];
    const track = (name: string, promise: Promise<unknown>) =>
      promise.then(
        () => outcomes.push(`${name} ok`),
        (error: Error) => outcomes.push(`${name} ${error.message}`),
      );
    const first = Array.from({ length: 100 }, (_, i) =>
      track(
        `hung${i}`,
        timeouts.bound(never(), () => {}),
      ),
    );
    const armed = spy.mock.calls.length;
    expect(armed).toBe(1); // one timer for the hundred
    await sleep(30);
    let answer!: () => void;
    const later = track(
      'later',
      timeouts.bound(new Promise<void>((resolve) => (answer = resolve)), () => {}),
    );
    await Promise.all(first); // the first hundred time out at 60 ms; 'later' (due at ~90 ms) is still open
    expect(outcomes).toHaveLength(100);
    expect(outcomes.every((o) => o.endsWith('too late'))).toBe(true);
    answer();
    await later;
    expect(outcomes.at(-1)).toBe('later ok');
    // re-armed for 'later' (twice at most: a loaded machine may run the first timer after 'later' was added)
    expect(spy.mock.calls.length - armed).toBeGreaterThanOrEqual(1);
    expect(spy.mock.calls.length - armed).toBeLessThanOrEqual(2);
    expect(timeouts.size).toBe(0);
  });

  it('keeps time on a monotonic clock: the wall clock set back or forward changes nothing', async () => {
    const wallClock = Date.now.bind(Date);
    for (const jump of [-10_000, 10_000]) {
      let offset = 0;
      vi.spyOn(Date, 'now').mockImplementation(() => wallClock() + offset);
      const timeouts = new FixedTimeouts(40, late);
      const started = performance.now();
      const hung = timeouts.bound(never(), () => {});
      offset = jump; // an NTP step, a VM resumed
      const kept = timeouts.bound(
        sleep(10).then(() => 'OK'),
        () => {},
      );
      await expect(hung).rejects.toThrow('too late');
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(35);
      expect(took).toBeLessThan(1000);
      await expect(kept).resolves.toBe('OK');
      vi.restoreAllMocks();
    }
  });

  it('does not grow with commands answered in time', async () => {
    const timeouts = new FixedTimeouts(1000, late);
    const open = timeouts.bound(never(), () => {}); // an old open deadline at the head
    open.catch(() => {});
    await Promise.all(Array.from({ length: 5000 }, (_, i) => timeouts.bound(Promise.resolve(i), () => {})));
    expect(timeouts.size).toBe(5001); // the old one keeps the head; the rest wait behind it
    const fresh = new FixedTimeouts(1000, late);
    await Promise.all(Array.from({ length: 5000 }, (_, i) => fresh.bound(Promise.resolve(i), () => {})));
    expect(fresh.size).toBe(0);
  });

  it('calls `expired` once for what outlives the limit, after its rejection, and never for what settles in time', async () => {
    const timeouts = new FixedTimeouts(30, late);
    const events: string[] = [];
    const hung = timeouts.bound(
      never(),
      () => events.push('settled'),
      () => events.push('expired'),
    );
    hung.catch(() => events.push('rejected'));
    await expect(
      timeouts.bound(
        Promise.resolve('OK'),
        () => {},
        () => events.push('expired too'),
      ),
    ).resolves.toBe('OK');
    await expect(hung).rejects.toThrow('too late');
    await sleep(0);
    expect(events).toEqual(['expired', 'rejected']); // expired runs in the timer's callback; handlers of the rejection after it
  });
});
