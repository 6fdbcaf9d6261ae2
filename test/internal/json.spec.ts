import fc from 'fast-check';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeJsonObjectSegment, hasDuplicateMemberNames } from '../../lib/internal/json.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('hasDuplicateMemberNames', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"b":{"c":1,"c":2}}', true],
    ['{"a":[{"x":1},{"x":2}]}', false], // the same name in two objects is fine
    ['{"jwk":1,"\\u006awk":2}', true], // escaped spelling of the same name
    ['{"a\\"b":1,"a\\"b":2}', true],
    ['{"a":"b","c":"a"}', false], // a value equal to a name is not a name
    ['{ "a" : 1 , "a" : 2 }', true],
    ['{"a":{"a":{"a":1}}}', false],
    ['[{"k":1,"k":1}]', true],
    ['{"k":"{\\"k\\":1,\\"k\\":2}"}', false], // names inside a string value are text
    ['{}', false],
  ])('%s → %s', (text, expected) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(hasDuplicateMemberNames(text)).toBe(expected);
  });

  it('never reports one for what JSON.stringify writes (no duplicates possible), whatever the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => !hasDuplicateMemberNames(JSON.stringify(value))),
      { numRuns: 2000, seed: 20261122 },
    );
  });

  it('agrees with a character-by-character scan on indented text and escape-heavy names', () => {
    /** The scan this one replaced (one character at a time, strings included): the reference. */
    function reference(text: string): boolean {
      const open: (string[] | null)[] = [];
      for (let i = 0; i < text.length; i++) {
        const char = text[i];
        if (char === '"') {
          let end = i + 1;
          while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
          const names = open.at(-1);
          if (names && /^\s*:/.test(text.slice(end + 1))) {
            const name = JSON.parse(text.slice(i, end + 1)) as string;
            if (names.includes(name)) return true;
            names.push(name);
          }
          i = end;
        } else if (char === '{') open.push([]);
        else if (char === '[') open.push(null);
        else if (char === '}' || char === ']') open.pop();
      }
      return false;
    }
    const name = fc.oneof(fc.string(), fc.constantFrom('\\', '\\"', '"', '\\\\"x', 'a'));
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.jsonValue(), { minKeys: 1 }),
        fc.nat(),
        fc.boolean(),
        (object, pick, twice) => {
          const names = Object.keys(object);
          const extra = twice ? `${JSON.stringify(names[pick % names.length])} : null,` : '';
          const text = `{ ${extra}${JSON.stringify(object, null, 2).slice(1)}`;
          expect(hasDuplicateMemberNames(text)).toBe(reference(text));
        },
      ),
      { numRuns: 2000, seed: 20261123 },
    );
  });

  it('always reports one when a member of a random object is written twice', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, pick) => {
        const names = Object.keys(object);
        const name = names[pick % names.length]!;
        const text = `{${JSON.stringify(name)}:null,${JSON.stringify(object).slice(1)}`;
        return hasDuplicateMemberNames(text);
      }),
      { numRuns: 2000, seed: 20261122 },
    );
  });
});

describe('decodeJsonObjectSegment on flat objects (the quote-counting path)', () => {
  it.each([
    ['{"a":"x","a":"y"}'],
    ['{"a":1,"a":"y"}'],
    ['{"a":"x","a":1}'],
    ['{"a":null,"a":null}'],
    ['{"a":true,"b":1,"a":false}'],
    ['{ "jti" : "1" , "htm":"GET", "jti" : "2" }'],
    ['{"jwk":1,"\\u006awk":2}'], // the same name spelled with an escape: the full scan decides
    ['{"a":"x\\"y","a":"z"}'], // an escaped quote in a value
  ])('refuses %s', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(decodeJsonObjectSegment(b64(text))).toBeUndefined();
  });

  it.each([
    ['{"jti":"x","htm":"GET","htu":"https://a.example/p","iat":1}'],
    ['{"a":"\\"","b":"\\\\"}'],
    ['{"a":"b","b":"a","c":null,"d":true,"e":-1.5e3}'],
    ['{}'],
  ])('reads %s', (text) => {
    expect(decodeJsonObjectSegment(b64(text))).toEqual(JSON.parse(text));
  });

  it('refuses a duplicate also when Object.prototype has an enumerable property (its count would hide one)', () => {
    let duplicate: unknown;
    let distinct: unknown;
    // Only around the two calls: the test runner itself iterates objects.
    Object.defineProperty(Object.prototype, 'polluted', {
      value: 1,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    try {
      duplicate = decodeJsonObjectSegment(b64('{"a":1,"a":2}'));
      distinct = decodeJsonObjectSegment(b64('{"a":1,"b":2}'));
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(duplicate).toBeUndefined();
    expect(distinct).toEqual({ a: 1, b: 2 });
  });

  it('refuses exactly what the full scan calls a duplicate, on random flat objects with a member written twice', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const name = fc.oneof(fc.string(), fc.constantFrom('a', 'jti', '\\', '"', 'a"b'));
    fc.assert(
      fc.property(
        fc.dictionary(name, scalar, { minKeys: 1 }),
        fc.nat(),
        fc.option(scalar, { nil: undefined }),
        fc.boolean(),
        (object, pick, again, spaced) => {
          const names = Object.keys(object);
          const repeated = names[pick % names.length]!;
          const body = JSON.stringify(object, null, spaced ? 1 : undefined).slice(1);
          const text =
            again === undefined ? `{${body}` : `{${JSON.stringify(repeated)}:${JSON.stringify(again)},${body}`;
          const ours = decodeJsonObjectSegment(b64(text));
          if (hasDuplicateMemberNames(text)) expect(ours).toBeUndefined();
          else expect(ours).toEqual(JSON.parse(text));
          expect(ours === undefined).toBe(again !== undefined);
        },
      ),
      { numRuns: 3000, seed: 20261123 },
    );
  });
});

describe('decodeJsonObjectSegment agrees with jose', () => {
  /** jose's reading of a protected header segment, or undefined where it refuses. */
  function jose(segment: string): unknown {
    try {
      return decodeProtectedHeader(`${segment}.e30.AA`);
    } catch {
      return undefined;
    }
  }

  it('on objects without duplicate names: the same value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const segment = b64(JSON.stringify(object));
        expect(decodeJsonObjectSegment(segment)).toEqual(jose(segment));
      }),
      { numRuns: 2000, seed: 20261122 },
    );
  });

  it('on arbitrary base64url text and non-objects: both refuse (or both read the same object)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({
            unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
            maxLength: 40,
          }),
          fc.jsonValue().map((value) => b64(JSON.stringify(value))),
        ),
        (segment) => {
          const ours = decodeJsonObjectSegment(segment);
          const theirs = jose(segment);
          if (ours === undefined)
            expect(theirs === undefined || hasDuplicateMemberNames(Buffer.from(segment, 'base64url').toString())).toBe(
              true,
            );
          else expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 5000, seed: 20261122 },
    );
  });
});
