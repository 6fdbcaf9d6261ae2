import { SetMetadata } from '@nestjs/common';
import { DPOP_SKIP_METADATA } from '../dpop.constants.js';

/**
 * Exempts a controller or a handler from `DpopGuard` when the module option
 * `protectAllRoutes` makes the guard protect every route (as throttler's
 * `@SkipThrottle()`). `@SkipDpop(false)` on a handler protects it again inside a
 * skipped controller. The more specific decorator wins: a handler's `@SkipDpop()`
 * or `@DpopBound()` over its controller's; on the same target, `@SkipDpop()` wins.
 * @publicApi
 */
export const SkipDpop = (skip = true): ClassDecorator & MethodDecorator => SetMetadata(DPOP_SKIP_METADATA, skip);
