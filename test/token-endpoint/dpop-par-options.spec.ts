import { describe, expect, it } from 'vitest';
import { DpopConfigurationError, DpopParEndpoint, parJkt, type DpopParEndpointOptions } from '../../lib/index.js';
import { resolveParEndpointOptions } from '../../lib/token-endpoint/resolve-par-endpoint-options.js';
import { setParJkt } from '../../lib/token-endpoint/par-jkt.js';

describe('@DpopParEndpoint() options', () => {
  it('defaults: proof optional, nonce policy of the module', () => {
    expect(resolveParEndpointOptions()).toEqual({ requireNonce: undefined, requireProof: false });
    expect(resolveParEndpointOptions({ requireProof: true, requireNonce: false })).toEqual({
      requireNonce: false,
      requireProof: true,
    });
  });

  it('are checked when the decorator runs, with a message that names the option', () => {
    expect(() => DpopParEndpoint({ requireProof: 'yes' } as unknown as DpopParEndpointOptions)).toThrow(
      new DpopConfigurationError(
        '@DpopParEndpoint() option "requireProof" must be true or false (got "yes").',
        'requireProof',
      ),
    );
    expect(() => DpopParEndpoint({ nonce: true } as unknown as DpopParEndpointOptions)).toThrow(
      /option "nonce" is not an option; known options are requireNonce, requireProof/,
    );
    expect(() => DpopParEndpoint(null as unknown as DpopParEndpointOptions)).toThrow(
      '@DpopParEndpoint() options must be an object (got null).',
    );
  });
});

describe('parJkt()', () => {
  it('answers what the interceptor recorded, and refuses a request it never saw', () => {
    const bound = {};
    const unbound = {};
    setParJkt(bound, 'a'.repeat(43));
    setParJkt(unbound, undefined);
    expect(parJkt(bound)).toBe('a'.repeat(43));
    expect(parJkt(unbound)).toBeUndefined();
    expect(() => parJkt({})).toThrow(DpopConfigurationError);
  });
});
