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
});
