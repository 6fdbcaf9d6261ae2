import { DpopConfigurationError } from '../dpop.errors.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import { describeValue } from '../options/resolve-dpop-options.js';
import type { DpopParEndpointOptions, ResolvedParEndpointOptions } from './dpop-par-endpoint-options.interface.js';

const OPTION_NAMES = Object.keys({
  requireNonce: true,
  requireProof: true,
} satisfies Record<keyof DpopParEndpointOptions, true>);

function fail(option: string, problem: string): never {
  throw new DpopConfigurationError(`@DpopParEndpoint() option "${option}" ${problem}.`);
}

/**
 * Checks `@DpopParEndpoint()` options when the decorator runs (at start-up) and
 * fills in the defaults.
 * @internal
 */
export function resolveParEndpointOptions(options: DpopParEndpointOptions = {}): ResolvedParEndpointOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new DpopConfigurationError(`@DpopParEndpoint() takes an options object (got ${describeValue(options)}).`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) fail(key, `is not an option; known options are ${OPTION_NAMES.join(', ')}`);
  }
  for (const key of ['requireNonce', 'requireProof'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      fail(key, `must be true or false (got ${describeValue(options[key])})`);
    }
  }
  return Object.freeze({
    requireNonce: options.requireNonce,
    requireProof: options.requireProof ?? DPOP_DEFAULTS.parEndpoint.requireProof,
  });
}
