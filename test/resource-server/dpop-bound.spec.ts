import { describe, expect, it } from 'vitest';
import { DpopBound, DpopConfigurationError, type DpopBoundOptions } from '../../lib/index.js';

// Wrong scopes fail where the decorator is applied (at class definition), naming the entry at fault.
describe('@DpopBound({ scopes }) is checked at decoration', () => {
  it.each([
    [
      'orders:read',
      'scopes',
      /"scopes" must be an array of scope names, e\.g\. \['orders:read'\] \(got "orders:read"\)/,
    ],
    [[''], 'scopes[0]', /"scopes\[0\]" must be a scope name, a non-empty string of printable ASCII/],
    [['orders:read', 'orders write'], 'scopes[1]', /"scopes\[1\]" must be a scope name.*\(got "orders write"\)/],
    [['a"b'], 'scopes[0]', /"scopes\[0\]" must be a scope name/],
    [['a\\b'], 'scopes[0]', /"scopes\[0\]" must be a scope name/],
    [['commandes:lire\u00e9'], 'scopes[0]', /"scopes\[0\]" must be a scope name/],
    [[42], 'scopes[0]', /"scopes\[0\]" must be a scope name.*\(got number 42\)/],
    [null, 'scopes', /"scopes" must be an array of scope names/],
  ])('%j is refused, naming %s', (scopes, option, message) => {
    let error: unknown;
    try {
      DpopBound({ scopes } as unknown as DpopBoundOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect((error as DpopConfigurationError).option).toBe(option);
    expect((error as Error).message).toMatch(message);
  });

  it('scope tokens of every allowed character are accepted; [] requires none', () => {
    expect(() => DpopBound({ scopes: ['orders:read', 'https://api.example.com/orders.write', '!#[]~'] })).not.toThrow();
    expect(() => DpopBound({ scopes: [] })).not.toThrow();
  });
});
