import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { DPOP_BOUND_METADATA, DPOP_SKIP_METADATA } from '../dpop.constants.js';
import { DpopOpenApiSecurity } from '../openapi/dpop-openapi.js';
import type { DpopBoundOptions } from './dpop-context.interface.js';
import { DpopGuard } from './dpop.guard.js';

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
  const route: DpopBoundOptions = {
    allowBearer: options.allowBearer ?? false,
    requireNonce: options.requireNonce,
  };
  return applyDecorators(
    SetMetadata(DPOP_BOUND_METADATA, route),
    UseGuards(DpopGuard),
    DpopOpenApiSecurity(route.allowBearer === true, { bound: DPOP_BOUND_METADATA, skip: DPOP_SKIP_METADATA }),
  );
}
