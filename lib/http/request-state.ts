import type { IncomingMessage } from 'node:http';
import type { DpopContext } from './dpop-context.interface.js';
import { nodeRequest, type HttpRequest } from './dpop-request.js';

/**
 * Everything the library keeps for one HTTP request, in one place. Besides this, it
 * sets one public property, `request.dpop` (what `@Dpop()` reads).
 *
 * The state is one symbol-keyed property of Node's request object, the same under
 * Express and Fastify (`request.raw`), so every guard, GraphQL field and interceptor of
 * one HTTP request finds it, and it goes with the request (a property, not a WeakMap:
 * no ephemeron for the garbage collector to trace per request).
 *
 * What it may hold is limited on purpose: the request's *credentials* once verified
 * (shared by every guard and GraphQL field of the request, so a proof is checked and
 * consumed at most once), never a decision about a route or a field. Each guard call
 * holds the credentials to its own route's options, and a `shouldSkip` answer is kept
 * only for the one handler invocation it was given for.
 * @internal
 */
export interface DpopRequestState {
  /** The request's credentials, verified once (a rejection is the credentials' refusal). */
  credentials?: Promise<DpopContext>;
  /**
   * Handler invocations a guard let through with `shouldSkip`: the request itself for
   * a REST handler, a field's resolve info for GraphQL (one per field and alias).
   * Another `DpopGuard` on the same invocation (global and on the route) follows it.
   */
  skipped?: WeakSet<object>;
  /** What `@DpopParJkt()` answers, set by `DpopParInterceptor`. */
  parJkt?: { readonly jkt: string | undefined };
}

const STATE = Symbol('nestjs-dpop:request-state');

type Holder = IncomingMessage & { [STATE]?: DpopRequestState };

/** The state of `request`, created on first use. @internal */
export function requestState(request: HttpRequest): DpopRequestState {
  return ((nodeRequest(request) as Holder)[STATE] ??= {});
}

/** The state of `request` if the library made one, without creating it. @internal */
export function existingRequestState(request: HttpRequest): DpopRequestState | undefined {
  return (nodeRequest(request) as Holder)[STATE];
}
