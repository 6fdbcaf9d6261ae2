import { describe, expect, it } from 'vitest';
import { DpopConfigurationError } from '../../lib/index.js';
import {
  assertBoolean,
  assertFunction,
  assertInteger,
  assertKnownOptions,
  assertNonEmptyString,
  assertNumber,
  assertObject,
  assertOneOf,
  assertOptionsObject,
  assertUrl,
  describeValue,
  optionError,
} from '../../lib/internal/assert-options.js';

/** What `check` throws: a DpopConfigurationError (else the test fails). */
function thrown(check: () => unknown): DpopConfigurationError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(DpopConfigurationError);
    return error as DpopConfigurationError;
  }
  throw new Error('nothing was thrown');
}

describe('assert-options: one error, a message naming the owner and the option', () => {
  it('optionError: "<owner> option "<option>" <problem>." with the option on the error', () => {
    const error = optionError('DpopModule', 'nonce.stepSeconds', 'must be an integer from 1 to 86400 (got number -1)');
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect(error.name).toBe('DpopConfigurationError');
    expect(error.option).toBe('nonce.stepSeconds');
    expect(error.message).toBe(
      'DpopModule option "nonce.stepSeconds" must be an integer from 1 to 86400 (got number -1).',
    );
  });

  it('describeValue never echoes a long string whole', () => {
    expect(describeValue('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
    expect([
      describeValue(null),
      describeValue(undefined),
      describeValue([1]),
      describeValue({}),
      describeValue(-1),
    ]).toEqual(['null', 'undefined', 'an array', 'an object', 'number -1']);
  });

  it('assertOptionsObject: the options argument itself', () => {
    expect(() => assertOptionsObject('@DpopBound()', {})).not.toThrow();
    const error = thrown(() => assertOptionsObject('@DpopBound()', null));
    expect(error.message).toBe('@DpopBound() options must be an object (got null).');
    expect(error.option).toBeUndefined();
    expect(thrown(() => assertOptionsObject('@DpopBound()', [])).message).toMatch(/got an array/);
  });

  it('assertObject', () => {
    expect(() => assertObject('DpopModule', 'jku', {})).not.toThrow();
    expect(thrown(() => assertObject('DpopModule', 'jku', true)).message).toBe(
      'DpopModule option "jku" must be an object (got boolean true).',
    );
  });

  it('assertKnownOptions names the unknown key, with the prefix, and lists the known ones', () => {
    expect(() => assertKnownOptions('DpopModule', { required: true }, ['required', 'secret'], 'nonce.')).not.toThrow();
    const error = thrown(() => assertKnownOptions('DpopModule', { requried: true }, ['required', 'secret'], 'nonce.'));
    expect(error.option).toBe('nonce.requried');
    expect(error.message).toBe(
      'DpopModule option "nonce.requried" is not an option; known options are nonce.required, nonce.secret.',
    );
  });

  it('assertBoolean', () => {
    expect(() => assertBoolean('@DpopParEndpoint()', 'requireProof', false)).not.toThrow();
    expect(thrown(() => assertBoolean('@DpopParEndpoint()', 'requireProof', 'yes')).message).toBe(
      '@DpopParEndpoint() option "requireProof" must be true or false (got "yes").',
    );
  });

  it('assertInteger, with and without an upper bound', () => {
    expect(() => assertInteger('RedisDpopStore', 'commandTimeoutMs', 60_000, 1, 60_000)).not.toThrow();
    expect(thrown(() => assertInteger('RedisDpopStore', 'commandTimeoutMs', 60_001, 1, 60_000)).message).toBe(
      'RedisDpopStore option "commandTimeoutMs" must be an integer from 1 to 60000 (got number 60001).',
    );
    expect(thrown(() => assertInteger('RedisDpopStore', 'commandTimeoutMs', 1.5, 1, 60_000)).option).toBe(
      'commandTimeoutMs',
    );
    expect(() => assertInteger('MemoryDpopStore', 'maxEntries', 1e9, 1)).not.toThrow();
    expect(thrown(() => assertInteger('MemoryDpopStore', 'maxEntries', 0, 1)).message).toBe(
      'MemoryDpopStore option "maxEntries" must be an integer of at least 1 (got number 0).',
    );
    expect(thrown(() => assertInteger('MemoryDpopStore', 'maxEntries', '5', 1)).message).toMatch(/got "5"/);
  });

  it('assertNumber allows fractions, not NaN or Infinity', () => {
    expect(() => assertNumber('DpopClientModule', 'refreshBeforeExpirySeconds', 0.5, 0)).not.toThrow();
    expect(thrown(() => assertNumber('DpopClientModule', 'refreshBeforeExpirySeconds', -1, 0)).message).toBe(
      'DpopClientModule option "refreshBeforeExpirySeconds" must be a number of at least 0 (got number -1).',
    );
    expect(thrown(() => assertNumber('DpopClientModule', 'x', Number.NaN, 0)).option).toBe('x');
    expect(thrown(() => assertNumber('DpopClientModule', 'x', Infinity, 0)).option).toBe('x');
  });

  it('assertNonEmptyString', () => {
    expect(() => assertNonEmptyString('DpopClientModule', 'clientId', 'svc')).not.toThrow();
    expect(thrown(() => assertNonEmptyString('DpopClientModule', 'clientId', '')).message).toBe(
      'DpopClientModule option "clientId" must be a non-empty string (got "").',
    );
  });

  it('assertFunction, saying which function', () => {
    expect(() => assertFunction('DpopModule', 'now', Date.now)).not.toThrow();
    expect(thrown(() => assertFunction('DpopModule', 'now', 5)).message).toBe(
      'DpopModule option "now" must be a function (got number 5).',
    );
    expect(thrown(() => assertFunction('DpopModule', 'accessToken.verify', undefined, 'a verifier')).message).toBe(
      'DpopModule option "accessToken.verify" must be a verifier (got undefined).',
    );
  });

  it('assertOneOf lists the allowed values', () => {
    expect(() => assertOneOf('@DpopTokenEndpoint()', 'bindRefreshTokens', 'all', ['public', 'all'])).not.toThrow();
    expect(
      thrown(() => assertOneOf('@DpopTokenEndpoint()', 'bindRefreshTokens', 'some', ['public', 'all'])).message,
    ).toBe(`@DpopTokenEndpoint() option "bindRefreshTokens" must be 'public' or 'all' (got "some").`);
    expect(thrown(() => assertOneOf('X', 'type', 1, ['a', 'b', 'c'])).message).toBe(
      `X option "type" must be 'a', 'b' or 'c' (got number 1).`,
    );
  });

  it('assertUrl returns the parsed URL of an allowed protocol', () => {
    expect(assertUrl('DpopModule', 'publicUrl', 'https://api.example.com/v1', ['https:']).host).toBe('api.example.com');
    expect(thrown(() => assertUrl('DpopModule', 'publicUrl', 'ftp://x/', ['https:', 'http:'])).message).toBe(
      'DpopModule option "publicUrl" must be an absolute https or http URL (got "ftp://x/").',
    );
    expect(thrown(() => assertUrl('DpopModule', 'publicUrl', 'api.example.com', ['https:'])).option).toBe('publicUrl');
  });
});
