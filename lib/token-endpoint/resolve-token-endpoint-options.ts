import { DpopConfigurationError } from '../dpop.errors.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import { describeValue } from '../options/resolve-dpop-options.js';
import type {
  DpopTokenEndpointOptions,
  ResolvedTokenEndpointOptions,
} from './dpop-token-endpoint-options.interface.js';

const OPTION_NAMES = Object.keys({
  requireNonce: true,
  requireProof: true,
  bindRefreshTokens: true,
  refreshTokenLifetime: true,
} satisfies Record<keyof DpopTokenEndpointOptions, true>);

function fail(option: string, problem: string): never {
  throw new DpopConfigurationError(`@DpopTokenEndpoint() option "${option}" ${problem}.`);
}

/**
 * Checks `@DpopTokenEndpoint()` options when the decorator runs (at start-up) and
 * fills in the defaults.
 * @internal
 */
export function resolveTokenEndpointOptions(options: DpopTokenEndpointOptions = {}): ResolvedTokenEndpointOptions {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) fail(key, `is not an option; known options are ${OPTION_NAMES.join(', ')}`);
  }
  const defaults = DPOP_DEFAULTS.tokenEndpoint;
  for (const key of ['requireNonce', 'requireProof'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      fail(key, `must be true or false (got ${describeValue(options[key])})`);
    }
  }
  const bind = options.bindRefreshTokens ?? defaults.bindRefreshTokens;
  if (bind !== 'public' && bind !== 'all')
    fail('bindRefreshTokens', `must be 'public' or 'all' (got ${describeValue(bind)})`);
  const lifetime = options.refreshTokenLifetime ?? defaults.refreshTokenLifetime;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 10 * 365 * 86_400) {
    fail(
      'refreshTokenLifetime',
      `must be a whole number of seconds from 1 to 10 years (got ${describeValue(lifetime)})`,
    );
  }
  return Object.freeze({
    requireNonce: options.requireNonce,
    requireProof: options.requireProof ?? defaults.requireProof,
    bindRefreshTokens: bind,
    refreshTokenLifetime: lifetime,
  });
}
