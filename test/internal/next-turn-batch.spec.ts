import { describe, expect, it } from 'vitest';
import { NextTurnBatch } from '../../lib/internal/next-turn-batch.js';

describe('NextTurnBatch', () => {
  it("runs a turn's work on the next setImmediate, back to back, before any of their continuations", async () => {
    const batch = new NextTurnBatch();
    const order: string[] = [];
    setImmediate(() => order.push('earlier setImmediate'));
    const a = batch.add(() => (order.push('work a'), 'a')).then((value) => order.push(`then ${value}`));
    const b = batch.add(() => (order.push('work b'), 'b')).then((value) => order.push(`then ${value}`));
    order.push('asked');
    await Promise.all([a, b]);
    expect(order).toEqual(['asked', 'earlier setImmediate', 'work a', 'work b', 'then a', 'then b']);
  });

  it('settles each promise with its own outcome: a value, a promise, or what the work threw', async () => {
    const batch = new NextTurnBatch();
    const outcomes = await Promise.allSettled([
      batch.add(() => 1),
      batch.add(() => {
        throw new Error('refused');
      }),
      batch.add(() => Promise.resolve(3)),
      batch.add(() => Promise.reject(new Error('store down'))),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      1,
      'refused',
      3,
      'store down',
    ]);
    // a new turn starts a new batch
    expect(await batch.add(() => 'next')).toBe('next');
  });

  it('atEndOfRunningBatch: inside a batch, runs the callback after its last job and before any continuation', async () => {
    const batch = new NextTurnBatch();
    const order: string[] = [];
    expect(NextTurnBatch.atEndOfRunningBatch(() => order.push('never'))).toBe(false); // no batch is running
    const asked: boolean[] = [];
    const a = batch.add(() => {
      asked.push(NextTurnBatch.atEndOfRunningBatch(() => order.push('end of batch')));
      order.push('work a');
      return 'a';
    });
    const b = batch.add(() => (order.push('work b'), 'b'));
    const done = Promise.all([a, b]).then(() => order.push('continuations'));
    setImmediate(() => order.push('next setImmediate'));
    await done;
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toEqual([true]);
    expect(order).toEqual(['work a', 'work b', 'end of batch', 'continuations', 'next setImmediate']);
    expect(NextTurnBatch.atEndOfRunningBatch(() => order.push('never'))).toBe(false); // over
  });
});
