import { describe, expect, it } from 'vitest';
import { normalizeHtu } from '../../lib/index.js';

/** [htu in the proof, request URL, same after RFC 3986 §6.2.2–6.2.3 normalisation?] */
const TABLE: [string, string, boolean][] = [
  ['https://api.example.com/orders', 'https://api.example.com/orders', true],
  ['HTTPS://API.Example.COM/orders', 'https://api.example.com/orders', true],
  ['https://api.example.com:443/orders', 'https://api.example.com/orders', true],
  ['http://api.example.com:80/orders', 'http://api.example.com/orders', true],
  ['https://api.example.com:/orders', 'https://api.example.com/orders', true],
  ['https://api.example.com', 'https://api.example.com/', true],
  ['https://api.example.com/%7Euser/%61bc', 'https://api.example.com/~user/abc', true],
  ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb', true],
  ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c', true],
  ['https://api.example.com/a/b/..', 'https://api.example.com/a/', true],
  ['https://api.example.com/%2E%2E/x', 'https://api.example.com/x', true],
  ['https://api.example.com/orders?x=1#frag', 'https://api.example.com/orders?y=2', true],
  ['https://api.example.com/caf%C3%A9', 'https://api.example.com/café', true],
  ['https://[::1]:8443/x', 'https://[::1]:8443/x', true],
  ['https://api.example.com/orders', 'https://api.example.com/Orders', false],
  ['https://api.example.com/orders', 'https://api.example.com/orders/', false],
  ['https://api.example.com/orders', 'https://api.example.com/order', false],
  ['https://api.example.com/a%2Fb', 'https://api.example.com/a/b', false],
  ['http://api.example.com/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com:8443/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com:443/orders', 'http://api.example.com:443/orders', false],
  ['https://evil.example/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com.evil.example/orders', 'https://api.example.com/orders', false],
  ['https://evil.example//api.example.com/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com//evil.example/orders', 'https://api.example.com/orders', false],
  ['//api.example.com/orders', 'https://api.example.com/orders', false],
  ['https:///api.example.com/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com@evil.example/orders', 'https://api.example.com/orders', false],
  ['https://evil.example\\@api.example.com/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com:443@evil.example/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com:65536/orders', 'https://api.example.com:65536/orders', false],
  ['https://api.example.com:99999/orders', 'https://api.example.com/orders', false],
  ['https://api.example.com/orders%zz', 'https://api.example.com/orders%zz', false],
  ['ftp://api.example.com/orders', 'ftp://api.example.com/orders', false],
  ['/orders', 'https://api.example.com/orders', false],
  ['https://exämple.com/orders', 'https://exämple.com/orders', false],
];

describe('normalizeHtu', () => {
  it.each(TABLE)('%s vs %s → equal: %s', (htu, url, equal) => {
    const a = normalizeHtu(htu);
    const b = normalizeHtu(url);
    if (equal) {
      expect(a).toBeDefined();
      expect(a).toBe(b);
    } else {
      expect(a === undefined || a !== b).toBe(true);
    }
  });

  it('has at least 20 rows, both kinds', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(20);
    expect(TABLE.filter((row) => row[2]).length).toBeGreaterThan(5);
    expect(TABLE.filter((row) => !row[2]).length).toBeGreaterThan(5);
  });

  it.each([
    ['HTTPS://Api.Example.COM:443', 'https://api.example.com/'],
    ['https://a.example/%7e/%3a/%3A/./x/../y?q#f', 'https://a.example/~/%3A/%3A/y'],
    ['http://a.example:080/p', 'http://a.example/p'],
    ['https://a.example/Path/CASE', 'https://a.example/Path/CASE'],
    ['https://a.example/x y', 'https://a.example/x%20y'],
  ])('normalises %s to %s', (input, output) => {
    expect(normalizeHtu(input)).toBe(output);
  });

  it.each([
    'https://a.example:65536/',
    'https://user:pw@a.example/',
    'https://a.example\\b/',
    'https://a.example/%',
    'https://a.example/%4',
    'https://a.example/\uD800',
    'javascript://a.example/',
    'https://a.example/' + 'x'.repeat(9000),
    '',
  ])('refuses %s', (input) => {
    expect(normalizeHtu(input)).toBeUndefined();
  });
});
