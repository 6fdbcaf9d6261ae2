import type { DpopContext } from './dpop-context.interface.js';
import type { DpopGraphqlError } from './dpop-graphql.error.js';

/**
 * What the first guarded field of a GraphQL HTTP request decided: its context (and
 * whether that check demanded a nonce), a skip, or its refusal.
 * @internal
 */
export type GraphqlOutcome =
  { dpop: DpopContext; nonceRequired: boolean } | { skipped: true } | { refusal: DpopGraphqlError };

/**
 * One check per HTTP request however many guarded fields (or batched operations)
 * resolve, even concurrently: the first guard call's promise, shared by every
 * DpopGuard instance (global and per resolver). Keyed by the request, so it goes with it.
 */
const outcomes = new WeakMap<object, Promise<GraphqlOutcome>>();

/** The outcome of `request`'s check: `check()` runs for the first caller only, every later one awaits it. @internal */
export function oncePerRequest(request: object, check: () => Promise<GraphqlOutcome>): Promise<GraphqlOutcome> {
  let pending = outcomes.get(request);
  if (pending === undefined) {
    pending = check();
    outcomes.set(request, pending);
  }
  return pending;
}
