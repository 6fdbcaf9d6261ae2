import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { DpopContext } from './dpop-context.interface.js';

/**
 * The `DpopContext` of the request (set by `DpopGuard`), or one of its
 * members: `@Dpop() dpop: DpopContext`, `@Dpop('jkt') jkt: string`.
 * @publicApi
 */
export const Dpop = createParamDecorator((member: keyof DpopContext | undefined, context: ExecutionContext) => {
  const dpop = context.switchToHttp().getRequest<{ dpop?: DpopContext }>().dpop;
  return member ? dpop?.[member] : dpop;
});
