import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../lib/internal/bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most `capacity` entries, dropping the oldest first', () => {
    const cache = new BoundedCache<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([1, 2, 3]);
  });

  it('re-setting a key refreshes its place: it is evicted last', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(3);
    expect(cache.get('c')).toBe(4);
  });

  it('never returns an entry past its expiry, and forgets it', () => {
    let now = 1000;
    const cache = new BoundedCache<string, string>(10, () => now);
    cache.set('token', 'claims', 1500);
    cache.set('forever', 'x');
    expect(cache.get('token')).toBe('claims');
    now = 1499;
    expect(cache.get('token')).toBe('claims');
    now = 1500;
    expect(cache.get('token')).toBeUndefined();
    expect(cache.size).toBe(1);
    now = Number.MAX_SAFE_INTEGER;
    expect(cache.get('forever')).toBe('x');
  });

  it('capacity 0 keeps nothing; a negative or fractional capacity is refused', () => {
    const none = new BoundedCache<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(() => new BoundedCache(-1)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });

  it('stays bounded under many distinct keys', () => {
    const cache = new BoundedCache<number, number>(100);
    for (let i = 0; i < 100_000; i++) cache.set(i, i);
    expect(cache.size).toBe(100);
    expect(cache.get(99_999)).toBe(99_999);
    expect(cache.get(99_899)).toBeUndefined();
  });

  it('delete and clear', () => {
    const cache = new BoundedCache<string, number>(5);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
