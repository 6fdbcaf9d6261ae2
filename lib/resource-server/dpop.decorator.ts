import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { DpopContext } from '../http/dpop-context.interface.js';
import { graphqlRequestOf } from './graphql-request.reader.js';

/**
 * The `DpopContext` of the request (set by `DpopGuard`), or one of its
 * members: `@Dpop() dpop: DpopContext`, `@Dpop('jkt') jkt: string`. Works in a
 * controller and in a GraphQL resolver (Apollo or Mercurius), where it is the
 * context of the HTTP request behind the operation, the same for every field.
 * @publicApi
 */
export const Dpop = createParamDecorator((member: keyof DpopContext | undefined, context: ExecutionContext) => {
  const request =
    context.getType<string>() === 'graphql'
      ? graphqlRequestOf(context)
      : context.switchToHttp().getRequest<{ dpop?: DpopContext }>();
  const dpop = request?.dpop;
  return member ? dpop?.[member] : dpop;
});
