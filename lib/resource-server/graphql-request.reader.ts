import type { ExecutionContext } from '@nestjs/common';
import { nodeRequest, type HttpRequest } from '../http/dpop-request.js';
import type { DpopContext } from '../http/dpop-context.interface.js';

/**
 * The HTTP exchange behind a GraphQL operation: what a DPoP proof binds to.
 * @publicApi
 */
export interface GraphqlHttpExchange {
  /** The framework's request: Express `req` (Apollo) or Fastify `request` (Mercurius). */
  readonly request: HttpRequest & { dpop?: DpopContext };
  /** The framework's response: Express `res` or Fastify `reply`, where the challenge headers go. */
  readonly response: unknown;
  /** Apollo Server takes an error's HTTP status from `extensions.http`; Mercurius from `statusCode`. */
  readonly apollo: boolean;
}

/** Why a GraphQL call has no HTTP exchange a proof could bind to. @publicApi */
export type GraphqlRefusalReason = 'subscription' | 'no-http-request';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An Express request or a Fastify request: a Node request (itself or `raw`) with its raw header list. */
function isHttpRequest(value: unknown): value is HttpRequest {
  if (!isObject(value)) return false;
  const node = nodeRequest(value as HttpRequest) as unknown;
  return isObject(node) && Array.isArray(node.rawHeaders) && typeof node.method === 'string';
}

/**
 * Reads the HTTP request and response behind a GraphQL resolver call without
 * `@nestjs/graphql`: Nest calls resolvers with graphql-js's arguments
 * `(root, args, context, info)`, so argument 2 is the GraphQL context
 * (`GqlExecutionContext.getContext()` returns the same object) and argument 3
 * the resolve info. What each driver puts in the context:
 * - Mercurius (`@nestjs/mercurius`): `{ req, reply, app }`; the request is `reply.request`.
 * - Apollo (`@nestjs/apollo`) on Express: `{ req }` (Nest's default context); the response is
 *   `context.res` when the app's `context` function returns it, else Express's `req.res`.
 * - Apollo on Fastify: `{ req }` only; return `{ req, reply }` from the `context` option.
 * A subscription, or a context without an HTTP request (WebSocket), has nothing a
 * proof could bind to: the answer says why, and the guard refuses.
 * @publicApi
 */
export function readGraphqlRequest(context: ExecutionContext): GraphqlHttpExchange | GraphqlRefusalReason {
  const info = context.getArgByIndex<unknown>(3);
  if (isObject(info) && isObject(info.operation) && info.operation.operation === 'subscription') return 'subscription';
  const gql = context.getArgByIndex<unknown>(2);
  if (!isObject(gql)) return 'no-http-request';
  const reply = gql.reply;
  if (isObject(reply) && isHttpRequest(reply.request) && typeof reply.header === 'function') {
    // Mercurius adds `app` next to `reply`; an Apollo-on-Fastify context that returns `reply` has no `app`.
    return { request: reply.request, response: reply, apollo: !isObject(gql.app) };
  }
  const request = gql.req;
  if (!isHttpRequest(request)) return 'no-http-request';
  const response = gql.res ?? gql.reply ?? (request as { res?: unknown }).res;
  if (!isObject(response)) return 'no-http-request';
  return { request, response, apollo: true };
}

/** The request behind a GraphQL resolver call (for `@Dpop()`), or undefined. @internal */
export function graphqlRequestOf(context: ExecutionContext): (HttpRequest & { dpop?: DpopContext }) | undefined {
  const exchange = readGraphqlRequest(context);
  return typeof exchange === 'string' ? undefined : exchange.request;
}

/** The one log line for a guarded GraphQL handler called without an HTTP exchange. @internal */
export function graphqlRefusalMessage(handler: string, reason: GraphqlRefusalReason): string {
  return reason === 'subscription'
    ? `@DpopBound() protects ${handler}, a GraphQL subscription: DPoP proofs bind single HTTP requests, ` +
        `so every subscription to it is refused. Remove @DpopBound() from it or authenticate it another way.`
    : `@DpopBound() protects ${handler}, but a call to it came without an HTTP request and response in its ` +
        `GraphQL context (an operation over a WebSocket, or a context option that drops "req"): such calls ` +
        `are refused. Over HTTP, keep "req" (Apollo; and "reply" on Fastify) in the GraphQL context.`;
}
