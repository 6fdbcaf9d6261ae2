import { DpopConfigurationError } from '../dpop.errors.js';
import { SCOPE_TOKEN } from './patterns.js';

// The one way the library checks options (after oauth4webapi's `assert*`): each function throws a
// DpopConfigurationError whose message reads `<owner> option "<option>" <what to fix> (got <value>).`, e.g.
// `DpopModule option "nonce.stepSeconds" must be an integer from 1 to 86400 (got number -1).` `owner` names
// what took the options: `DpopModule`, `@DpopTokenEndpoint()`, `MemoryDpopStore`, `DpopClientModule`…
// Callers apply the defaults (from the defaults file) before, or instead of, a check. Internal.

/** The error for a wrong option: `<owner> option "<option>" <problem>.` */
export function optionError(owner: string, option: string, problem: string): DpopConfigurationError {
  return new DpopConfigurationError(`${owner} option "${option}" ${problem}.`, option);
}

/** A short, safe description of a wrong value for an error message (a long string is cut). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** The options argument itself is a plain object: `<owner> options must be an object (got …).` */
export function assertOptionsObject(owner: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DpopConfigurationError(`${owner} options must be an object (got ${describeValue(value)}).`);
  }
}

/** A plain object (not null, not an array). */
export function assertObject(owner: string, option: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionError(owner, option, `must be an object (got ${describeValue(value)})`);
  }
}

/** Every key of `given` is one of `known`; `prefix` is the path of a nested object, e.g. `'nonce.'`. */
export function assertKnownOptions(owner: string, given: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      const names = known.map((name) => prefix + name).join(', ');
      throw optionError(owner, prefix + key, `is not an option; known options are ${names}`);
    }
  }
}

/** `true` or `false`. */
export function assertBoolean(owner: string, option: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean')
    throw optionError(owner, option, `must be true or false (got ${describeValue(value)})`);
}

/** An integer from `min` to `max` (no upper bound when `max` is left out). */
export function assertInteger(
  owner: string,
  option: string,
  value: unknown,
  min: number,
  max?: number,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw optionError(owner, option, `must be an integer ${range} (got ${describeValue(value)})`);
  }
}

/** A finite number of at least `min` (fractions allowed). */
export function assertNumber(owner: string, option: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw optionError(owner, option, `must be a number of at least ${min} (got ${describeValue(value)})`);
  }
}

/** A string of at least one character. */
export function assertNonEmptyString(owner: string, option: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw optionError(owner, option, `must be a non-empty string (got ${describeValue(value)})`);
  }
}

/** A non-empty string or a non-empty list of them, e.g. an expected `aud`. */
export function assertStringOrList(owner: string, option: string, value: unknown): asserts value is string | string[] {
  const valid =
    (typeof value === 'string' && value.length > 0) ||
    (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string' && entry.length > 0));
  if (!valid) {
    throw optionError(
      owner,
      option,
      `must be a non-empty string or a non-empty array of them (got ${describeValue(value)})`,
    );
  }
}

/** A function; `what` says which, e.g. `'a function (token) => claims'`. */
export function assertFunction(
  owner: string,
  option: string,
  value: unknown,
  what = 'a function',
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw optionError(owner, option, `must be ${what} (got ${describeValue(value)})`);
}

/** One of the strings in `allowed`. */
export function assertOneOf<T extends string>(
  owner: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (!allowed.includes(value as T)) {
    const names = allowed.map((name) => `'${name}'`);
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');
    throw optionError(owner, option, `must be ${list} (got ${describeValue(value)})`);
  }
}

/** An absolute URL with one of `protocols` (`'https:'`, `'http:'`…); returns it parsed. */
export function assertUrl(owner: string, option: string, value: unknown, protocols: readonly string[]): URL {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol)) {
    const names = protocols.map((protocol) => protocol.slice(0, -1)).join(' or ');
    throw optionError(owner, option, `must be an absolute ${names} URL (got ${describeValue(value)})`);
  }
  return parsed;
}

/**
 * An array of OAuth scope names, each an RFC 6749 §3.3 `scope-token`: a non-empty string of printable
 * ASCII without spaces, `"` or backslashes (so `['orders:read']`, never `'orders:read'` or `['a b']`).
 */
export function assertScopes(owner: string, option: string, value: unknown): asserts value is readonly string[] {
  if (!Array.isArray(value)) {
    throw optionError(
      owner,
      option,
      `must be an array of scope names, e.g. ['orders:read'] (got ${describeValue(value)})`,
    );
  }
  value.forEach((scope: unknown, index) => {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw optionError(
        owner,
        `${option}[${index}]`,
        `must be a scope name, a non-empty string of printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3) (got ${describeValue(scope)})`,
      );
    }
  });
}
