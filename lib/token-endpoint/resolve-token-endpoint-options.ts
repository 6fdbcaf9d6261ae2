import {
  assertBoolean,
  assertInteger,
  assertKnownOptions,
  assertOneOf,
  assertOptionsObject,
} from '../internal/assert-options.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import type {
  DpopTokenEndpointOptions,
  ResolvedTokenEndpointOptions,
} from './dpop-token-endpoint-options.interface.js';

const OWNER = '@DpopTokenEndpoint()';
const OPTION_NAMES = Object.keys({
  requireNonce: true,
  requireProof: true,
  bindRefreshTokens: true,
  refreshTokenLifetime: true,
} satisfies Record<keyof DpopTokenEndpointOptions, true>);
const TEN_YEARS = 10 * 365 * 86_400;

/**
 * Checks `@DpopTokenEndpoint()` options when the decorator runs (at start-up) and
 * fills in the defaults.
 * @internal
 */
export function resolveTokenEndpointOptions(options: DpopTokenEndpointOptions = {}): ResolvedTokenEndpointOptions {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, OPTION_NAMES);
  const defaults = DPOP_DEFAULTS.tokenEndpoint;
  for (const key of ['requireNonce', 'requireProof'] as const) {
    if (options[key] !== undefined) assertBoolean(OWNER, key, options[key]);
  }
  const bind = options.bindRefreshTokens ?? defaults.bindRefreshTokens;
  assertOneOf(OWNER, 'bindRefreshTokens', bind, ['public', 'all']);
  const lifetime = options.refreshTokenLifetime ?? defaults.refreshTokenLifetime;
  assertInteger(OWNER, 'refreshTokenLifetime', lifetime, 1, TEN_YEARS);
  return Object.freeze({
    requireNonce: options.requireNonce,
    requireProof: options.requireProof ?? defaults.requireProof,
    bindRefreshTokens: bind,
    refreshTokenLifetime: lifetime,
  });
}
