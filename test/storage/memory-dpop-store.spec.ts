import { describe, expect, it } from 'vitest';
import { MemoryDpopStore } from '../../lib/index.js';
import { storeContract } from '../helpers/store-contract.js';

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

  it('prune() drops every expired record and binding, and nothing live', async () => {
    const clock = { ms: 0 };
    const store = new MemoryDpopStore({ now: () => clock.ms });
    for (const [key, expiresAt] of [
      ['a', 100],
      ['b', 300],
      ['c', 200],
    ] as const)
      await store.rememberProof(key, expiresAt);
    const binding = { tokenHash: 'h'.repeat(43), jkt: 'j'.repeat(43), clientId: 'c', expiresAt: 150 };
    await store.saveRefreshTokenBinding(binding);
    clock.ms = 200;
    expect(store.prune()).toBe(3); // a, c and the binding; b lives until 300
    expect(store.size).toBe(1);
    expect(await store.rememberProof('b', 400)).toBe(false);
    expect(await store.rememberProof('a', 400)).toBe(true);
    expect(await store.findRefreshTokenBinding(binding.tokenHash)).toBeUndefined();
    expect(store.prune()).toBe(0);
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
    expect(store.size).toBe(2); // not full: an insert reclaims up to two expired records (b, c); d goes next time
    expect(await store.rememberProof('f', 2000)).toBe(true);
    expect(store.size).toBe(2); // e and f: every expired record is gone
  });

  it('reclaims the oldest records on the first insert after they expire, also after prune()', async () => {
    const clock = { ms: 0 };
    const store = new MemoryDpopStore({ maxEntries: 3, now: () => clock.ms });
    await store.rememberProof('a', 100);
    await store.rememberProof('b', 300);
    clock.ms = 99;
    await store.rememberProof('c', 1000);
    expect(store.size).toBe(3); // a is still live at 99
    clock.ms = 100;
    expect(await store.rememberProof('d', 1000)).toBe(true); // a expired at 100: this insert drops it
    expect(store.size).toBe(3);
    clock.ms = 300;
    expect(await store.rememberProof('e', 250)).toBe(true); // b expired at 300: dropped, not swept
    expect(store.size).toBe(3); // c, d, e
    expect(store.prune()).toBe(1); // e expired at 250
    await store.rememberProof('f', 2000);
    clock.ms = 1000;
    expect(await store.rememberProof('g', 3000)).toBe(true); // c and d expired at 1000: both dropped by this insert
    expect(store.size).toBe(2); // f and g
    expect(await store.rememberProof('f', 3000)).toBe(false);
  });

  it('rejects a bad maxEntries', () => {
    expect(() => new MemoryDpopStore({ maxEntries: 0 })).toThrow(
      'MemoryDpopStore option "maxEntries" must be an integer of at least 1 (got number 0).',
    );
  });
});

describe('MemoryDpopStore when full under churn', () => {
  it('frees room without scanning the whole store on every insert', async () => {
    const clock = { ms: 0 };
    const store = new MemoryDpopStore({ maxEntries: 50_000, now: () => clock.ms });
    // fill it with records that expire in insertion order, as proofs do
    for (let i = 0; i < 50_000; i++) await store.rememberProof(`k${i}`, 1000 + i);
    clock.ms = 1000 + 25_000; // half have expired
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) expect(await store.rememberProof(`n${i}`, 200_000)).toBe(true);
    const microsPerInsert = Number(process.hrtime.bigint() - started) / 1000 / 20_000;
    expect(store.size).toBeLessThanOrEqual(50_000);
    expect(await store.rememberProof('k49999', 0)).toBe(false); // live records are kept
    expect(microsPerInsert).toBeLessThan(50); // a full scan per insert would be ~1000 µs here
  });
});

describe('MemoryDpopStore under steady traffic', () => {
  it('reclaims expired records as it goes: its size stays near the live records, far below maxEntries', async () => {
    const clock = { ms: 0 };
    const store = new MemoryDpopStore({ maxEntries: 100_000, now: () => clock.ms });
    // 1 record per ms, each live for 1,000 ms: about 1,000 live at any time, 50,000 inserted in all.
    for (let i = 0; i < 50_000; i++) {
      clock.ms = i;
      expect(await store.rememberProof(`k${i}`, i + 1000)).toBe(true);
    }
    expect(store.size).toBeLessThanOrEqual(1_002);
    expect(await store.rememberProof('k49999', 0)).toBe(false); // a live record is still a replay
    expect(await store.rememberProof('k40000', 0)).toBe(true); // an expired one was forgotten: its proof is too old anyway
  });
});

// One instance is the shared backing data: stores from open() are the same object (one process).
const shared = new MemoryDpopStore();
storeContract('memory', {
  open: () => Promise.resolve(shared),
  close: () => Promise.resolve(),
  recordExpiry: (store, key) => Promise.resolve((store as MemoryDpopStore)['records'].get(key)),
  validatesKeys: false,
});
