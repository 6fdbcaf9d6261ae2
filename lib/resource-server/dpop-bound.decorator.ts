import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { DPOP_BOUND_METADATA, DPOP_SKIP_METADATA } from '../dpop.constants.js';
import { assertBoolean, assertKnownOptions, assertOptionsObject, assertScopes } from '../internal/assert-options.js';
import { DpopOpenApiSecurity } from '../openapi/dpop-openapi.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import type { DpopBoundOptions } from '../http/dpop-context.interface.js';
import { DpopGuard } from './dpop.guard.js';

const OWNER = '@DpopBound()';
const OPTION_NAMES = Object.keys({
  allowBearer: true,
  requireNonce: true,
  scopes: true,
} satisfies Record<keyof DpopBoundOptions, true>) as (keyof DpopBoundOptions)[];
const BOOLEAN_OPTIONS = ['allowBearer', 'requireNonce'] as const;

/**
 * Protects a controller or a handler with DPoP-bound access tokens
 * (`Authorization: DPoP <token>` plus a `DPoP` proof). Options on a handler
 * win over those on its controller. Applies `DpopGuard`; the guard may also
 * be registered globally (`APP_GUARD`), it runs once per request either way.
 * With `scopes`, the token must grant each of them (else 403 `insufficient_scope`).
 * With `@nestjs/swagger`, the route's OpenAPI operation lists the `DPoP` security
 * requirement (or `DPoP` or `bearer` with `allowBearer`), with its scopes.
 * @publicApi
 */
export function DpopBound(options: DpopBoundOptions = {}): ClassDecorator & MethodDecorator {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, OPTION_NAMES);
  for (const key of BOOLEAN_OPTIONS) if (options[key] !== undefined) assertBoolean(OWNER, key, options[key]);
  if (options.scopes !== undefined) assertScopes(OWNER, 'scopes', options.scopes);
  // A copy (the caller's array may change later), without repeats.
  const scopes = Object.freeze([...new Set(options.scopes ?? [])]);
  const route: DpopBoundOptions = {
    allowBearer: options.allowBearer ?? DPOP_DEFAULTS.bound.allowBearer,
    requireNonce: options.requireNonce,
    scopes,
  };
  return applyDecorators(
    SetMetadata(DPOP_BOUND_METADATA, route),
    UseGuards(DpopGuard),
    DpopOpenApiSecurity(route.allowBearer === true, scopes, {
      bound: DPOP_BOUND_METADATA,
      skip: DPOP_SKIP_METADATA,
    }),
  );
}
