import { describe, expect, it } from 'vitest';
import { ProofBatch } from '../../lib/proof/proof-batch.js';
import type { ProofRecord } from '../../lib/proof/proof-replay-store.js';

const record = (key: string): ProofRecord => ({ key, expiresAt: 1 });

describe('ProofBatch', () => {
  it("runs a turn's checks on the next setImmediate, back to back, then records the passed ones in one call", async () => {
    const calls: string[][] = [];
    const order: string[] = [];
    const batch = new ProofBatch<string>((records) => {
      calls.push(records.map((r) => r.key));
      order.push('record');
      return Promise.resolve(records.map((r) => r.key !== 'seen'));
    });
    setImmediate(() => order.push('earlier setImmediate'));
    const check = (key: string) => () => (order.push(`check ${key}`), { result: key, record: record(key) });
    const answers = [
      batch.add(check('a')),
      batch.add(() => {
        order.push('check refused');
        throw new Error('signature');
      }),
      batch.add(check('seen')),
    ];
    order.push('asked');
    const outcomes = await Promise.allSettled(answers);
    expect(order).toEqual(['asked', 'earlier setImmediate', 'check a', 'check refused', 'check seen', 'record']);
    expect(calls).toEqual([['a', 'seen']]); // one call, the refused check's record not in it
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      { result: 'a', fresh: true },
      'signature',
      { result: 'seen', fresh: false },
    ]);
    // a new turn starts a new batch
    await expect(batch.add(check('b'))).resolves.toEqual({ result: 'b', fresh: true });
    expect(calls).toHaveLength(2);
  });

  it('a store that rejects, throws or answers another number of records refuses every passed check of the batch', async () => {
    for (const recordAll of [
      () => Promise.reject(new Error('store down')),
      () => {
        throw new Error('store threw');
      },
      () => Promise.resolve([true]),
    ]) {
      const batch = new ProofBatch<string>(recordAll);
      const outcomes = await Promise.allSettled(
        ['x', 'y'].map((key) => batch.add(() => ({ result: key, record: record(key) }))),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    }
  });

  it('makes no store call when every check of the turn was refused', async () => {
    let calls = 0;
    const batch = new ProofBatch<string>(() => (calls++, Promise.resolve([])));
    await expect(
      batch.add(() => {
        throw new Error('htu');
      }),
    ).rejects.toThrow('htu');
    expect(calls).toBe(0);
  });
});
