import { describe, expect, it } from 'vitest';
import { MemoryDpopStore } from '../../lib/index.js';

describe('MemoryDpopStore', () => {
  it('remembers a key once, until it expires', async () => {
    const clock = { ms: 1000 };
    const store = new MemoryDpopStore({ now: () => clock.ms });
    expect(await store.rememberProof('k', 2000)).toBe(true);
    expect(await store.rememberProof('k', 5000)).toBe(false);
    clock.ms = 1999;
    expect(await store.rememberProof('k', 5000)).toBe(false);
    clock.ms = 2000;
    expect(await store.rememberProof('k', 5000)).toBe(true);
    expect(await store.rememberProof('other', 5000)).toBe(true);
  });

  it('answers exactly one of many concurrent inserts of one key', async () => {
    const store = new MemoryDpopStore();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => store.rememberProof('same', Date.now() + 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stays within maxEntries: sweeps expired records, refuses when all are live', async () => {
    const clock = { ms: 0 };
    const store = new MemoryDpopStore({ maxEntries: 3, now: () => clock.ms });
    await store.rememberProof('a', 100);
    await store.rememberProof('b', 200);
    await store.rememberProof('c', 300);
    await expect(store.rememberProof('d', 400)).rejects.toThrow(/full \(3 unexpired records\); raise maxEntries/);
    clock.ms = 150;
    expect(await store.rememberProof('d', 400)).toBe(true); // 'a' swept
    expect(store.size).toBe(3);
    expect(await store.rememberProof('b', 400)).toBe(false); // still live
    clock.ms = 1000;
    expect(await store.rememberProof('e', 2000)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('rejects a bad maxEntries', () => {
    expect(() => new MemoryDpopStore({ maxEntries: 0 })).toThrow(/maxEntries must be a positive integer/);
  });
});
