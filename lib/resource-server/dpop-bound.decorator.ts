import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { DpopGuard } from './dpop.guard.js';
import { DPOP_BOUND_METADATA } from '../dpop.constants.js';
import type { DpopBoundOptions } from './dpop-context.interface.js';

/**
 * Protects a controller or a handler with DPoP-bound access tokens
 * (`Authorization: DPoP <token>` plus a `DPoP` proof). Options on a handler
 * win over those on its controller. Applies `DpopGuard`; the guard may also
 * be registered globally (`APP_GUARD`), it runs once per request either way.
 * @publicApi
 */
export function DpopBound(options: DpopBoundOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(DPOP_BOUND_METADATA, options), UseGuards(DpopGuard));
}
