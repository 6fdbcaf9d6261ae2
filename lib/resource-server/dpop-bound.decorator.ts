import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { DPOP_BOUND_METADATA, DPOP_SKIP_METADATA } from '../dpop.constants.js';
import { assertBoolean, assertKnownOptions, assertOptionsObject } from '../internal/assert-options.js';
import { DpopOpenApiSecurity } from '../openapi/dpop-openapi.js';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import type { DpopBoundOptions } from '../http/dpop-context.interface.js';
import { DpopGuard } from './dpop.guard.js';

const OWNER = '@DpopBound()';
const OPTION_NAMES = Object.keys({
  allowBearer: true,
  requireNonce: true,
} satisfies Record<keyof DpopBoundOptions, true>) as (keyof DpopBoundOptions)[];

/**
 * Protects a controller or a handler with DPoP-bound access tokens
 * (`Authorization: DPoP <token>` plus a `DPoP` proof). Options on a handler
 * win over those on its controller. Applies `DpopGuard`; the guard may also
 * be registered globally (`APP_GUARD`), it runs once per request either way.
 * With `@nestjs/swagger`, the route's OpenAPI operation lists the `DPoP` security
 * requirement (or `DPoP` or `bearer` with `allowBearer`).
 * @publicApi
 */
export function DpopBound(options: DpopBoundOptions = {}): ClassDecorator & MethodDecorator {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, OPTION_NAMES);
  for (const key of OPTION_NAMES) if (options[key] !== undefined) assertBoolean(OWNER, key, options[key]);
  const route: DpopBoundOptions = {
    allowBearer: options.allowBearer ?? DPOP_DEFAULTS.bound.allowBearer,
    requireNonce: options.requireNonce,
  };
  return applyDecorators(
    SetMetadata(DPOP_BOUND_METADATA, route),
    UseGuards(DpopGuard),
    DpopOpenApiSecurity(route.allowBearer === true, { bound: DPOP_BOUND_METADATA, skip: DPOP_SKIP_METADATA }),
  );
}
