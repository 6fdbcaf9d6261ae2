import type { DpopContext } from './dpop-context.interface.js';
import type { DpopGraphqlError } from './dpop-graphql.error.js';

/**
 * What the first guarded field of a GraphQL HTTP request decided: its context (and
 * whether that check demanded a nonce), a skip, or its refusal.
 * @internal
 */
export type GraphqlOutcome =
  { dpop: DpopContext; nonceRequired: boolean } | { skipped: true } | { refusal: DpopGraphqlError };

/** Where the outcome of a request's check is kept: on the request itself, so it goes with it. */
const OUTCOME = Symbol('nestjs-dpop:graphql-outcome');

/**
 * One check per HTTP request however many guarded fields (or batched operations)
 * resolve, even concurrently: `check()` runs for the first caller only (the first
 * guard call of any DpopGuard instance, global or per resolver); every later one
 * awaits the same promise. A property on the request, not a WeakMap: no
 * ephemeron for the garbage collector to trace per request.
 * @internal
 */
export function oncePerRequest(request: object, check: () => Promise<GraphqlOutcome>): Promise<GraphqlOutcome> {
  const holder = request as { [OUTCOME]?: Promise<GraphqlOutcome> };
  return (holder[OUTCOME] ??= check());
}
