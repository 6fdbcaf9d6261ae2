import { assertBoolean, assertKnownOptions, assertOptionsObject } from '../internal/assert-options.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import type { DpopParEndpointOptions, ResolvedParEndpointOptions } from './dpop-par-endpoint-options.interface.js';

const OWNER = '@DpopParEndpoint()';
const OPTION_NAMES = Object.keys({
  requireNonce: true,
  requireProof: true,
} satisfies Record<keyof DpopParEndpointOptions, true>);

/**
 * Checks `@DpopParEndpoint()` options when the decorator runs (at start-up) and
 * fills in the defaults.
 * @internal
 */
export function resolveParEndpointOptions(options: DpopParEndpointOptions = {}): ResolvedParEndpointOptions {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, OPTION_NAMES);
  for (const key of ['requireNonce', 'requireProof'] as const) {
    if (options[key] !== undefined) assertBoolean(OWNER, key, options[key]);
  }
  return Object.freeze({
    requireNonce: options.requireNonce,
    requireProof: options.requireProof ?? DPOP_DEFAULTS.parEndpoint.requireProof,
  });
}
