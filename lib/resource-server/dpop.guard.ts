import {
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer, Reflector } from '@nestjs/core';
import { DPOP_BOUND_METADATA, DPOP_LOGGER_CONTEXT, DPOP_SKIP_METADATA } from '../dpop.constants.js';
import { DpopConfigurationError, DpopRequestError } from '../dpop.errors.js';
import { DpopAuthenticator } from '../http/dpop-authenticator.js';
import type { DpopBoundOptions, DpopContext } from '../http/dpop-context.interface.js';
import { challengeException, writeNonce } from '../http/dpop-http-errors.js';
import {
  credentialHeaders,
  requestFacts,
  requestUrl,
  warnWhenClientChoosesHost,
  type HttpRequest as BaseRequest,
} from '../http/dpop-request.js';
import { requestState } from '../http/request-state.js';
import { InjectDpopOptions } from '../options/inject-dpop-options.decorator.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import { DpopGraphqlError } from './dpop-graphql.error.js';
import { dpopModuleNotVisibleError } from './dpop-module-not-visible.error.js';
import {
  graphqlRefusalMessage,
  readGraphqlRequest,
  type GraphqlHttpExchange,
  type GraphqlRefusalReason,
} from './graphql-request.reader.js';

type HttpRequest = BaseRequest & { dpop?: DpopContext };

/** What a guard call protects: the HTTP exchange, and the handler invocation a `shouldSkip` answer is kept for. */
interface GuardedCall {
  readonly request: HttpRequest;
  readonly response: unknown;
  /** The request for a REST handler; the field's resolve info for GraphQL (one per field and alias). */
  readonly invocation: object;
  /** A GraphQL field: refusals become a `DpopGraphqlError` (Apollo or Mercurius form). */
  readonly graphql?: { readonly apollo: boolean };
}

/**
 * Enforces `@DpopBound()`: demands `Authorization: DPoP <token>` and exactly
 * one `DPoP` proof bound to that token (RFC 9449 §7), puts a
 * {@link DpopContext} on the request, and answers failures with the
 * challenges of RFC 9449 §7.1 and RFC 6750 §3. Works on Express and Fastify,
 * on a controller, a handler, or globally (`APP_GUARD`: routes opt in with
 * `@DpopBound()`, or all routes with the module option `protectAllRoutes`),
 * and on GraphQL resolvers (Apollo and Mercurius), where each guarded field is
 * decided by its own options and `shouldSkip`, and the request's credentials are
 * verified (its proof consumed) once.
 *
 * The guard is an adapter: it reads the request's facts (method, URL, credential
 * headers), hands them to `DpopAuthenticator`, and writes the answer.
 *
 * Subclass it to change how the request URL or the credentials are read
 * (`getRequestUrl`, `getAuthorization`) or to let requests through
 * (`shouldSkip`); a subclass that needs a dependency of its own takes
 * `@InjectDpopOptions() options` and `Reflector` and passes them to `super()`.
 * @publicApi
 */
@Injectable()
export class DpopGuard implements CanActivate, OnModuleInit {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  // Optional, with the options: in a module that cannot see DpopModule, onModuleInit says so (not Nest, about a symbol).
  @Optional() @Inject(DpopAuthenticator) private readonly authenticator!: DpopAuthenticator;
  @Optional() @Inject(DpopTelemetry) private readonly telemetry!: DpopTelemetry;
  @Optional() @Inject(ModulesContainer) private readonly modules?: ModulesContainer;
  private readonly refusedHandlers = new Set<string>();
  /** `algs="…"` of the challenge, made once. */
  private readonly challengeAlgs: string;
  /** The route options of each handler (null: not protected), read from metadata once. */
  private readonly routes = new WeakMap<object, Map<object, DpopBoundOptions | null>>();

  constructor(
    @Optional() @InjectDpopOptions() protected readonly options: ResolvedDpopOptions,
    protected readonly reflector: Reflector,
  ) {
    if ((options as ResolvedDpopOptions | undefined) === undefined) {
      this.challengeAlgs = '';
      return; // DpopModule is not visible here: onModuleInit fails the start, naming the module
    }
    assertGuardConfigured(options);
    warnWhenClientChoosesHost(options, this.logger);
    this.challengeAlgs = `algs="${options.algorithms.join(' ')}"`;
  }

  /** Fails the start when the guard's module cannot see DpopModule, with a message that names the module. */
  onModuleInit(): void {
    if ((this.options as ResolvedDpopOptions | undefined) === undefined) {
      throw dpopModuleNotVisibleError(this, this.modules);
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.cachedRouteOptions(context);
    if (route === undefined) return true;
    const call = this.guardedCall(context);
    if (typeof call === 'string') return this.refuseWithoutHttp(context, call);
    const { request } = call;
    const state = requestState(request);
    if (state.skipped?.has(call.invocation)) return true;
    const skip = this.shouldSkip(context);
    if (skip === true || (skip !== false && (await skip))) {
      (state.skipped ??= new WeakSet()).add(call.invocation);
      return true;
    }
    try {
      // The credentials once per request (a REST request has one route: its rules apply early); the route's verdict here.
      state.credentials ??= this.verifyCredentials(request, call.graphql ? undefined : route);
      const { context: dpop, nonce } = this.authenticator.admit(await state.credentials, route);
      if (nonce !== undefined) writeNonce(this.adapterHost.httpAdapter, call.response, nonce);
      request.dpop = dpop;
      return true;
    } catch (error) {
      throw this.refusal(error, call, route);
    }
  }

  /**
   * Lets a request through without a DPoP check (as throttler's `shouldSkip`),
   * e.g. for an internal health probe. Runs only on protected routes, for each
   * guarded handler or GraphQL field on its own.
   */
  protected shouldSkip(_context: ExecutionContext): boolean | Promise<boolean> {
    return false;
  }

  /**
   * The HTTP request and response behind a GraphQL resolver call (see
   * {@link readGraphqlRequest}), or why there is none (a subscription, a context
   * without the request): then the call is refused. Override for a custom context shape.
   */
  protected getGraphqlRequest(context: ExecutionContext): GraphqlHttpExchange | GraphqlRefusalReason {
    return readGraphqlRequest(context);
  }

  /** The absolute URL the client addressed; what a proof's `htu` must name. */
  protected getRequestUrl(request: HttpRequest): string {
    return requestUrl(request, this.options);
  }

  /** The `Authorization` and `DPoP` header lines, from the raw headers so duplicates are seen. */
  protected getAuthorization(request: HttpRequest): { authorization: string[]; dpop: string[] } {
    return credentialHeaders(request);
  }

  /**
   * The options of the route, or undefined when it is not protected. The more
   * specific decorator wins (handler over controller); `@SkipDpop()` wins over
   * `@DpopBound()` on the same target; `protectAllRoutes` covers the rest.
   */
  protected getRouteOptions(context: ExecutionContext): DpopBoundOptions | undefined {
    const handler = context.getHandler();
    const handlerSkip = this.reflector.get<boolean | undefined>(DPOP_SKIP_METADATA, handler);
    if (handlerSkip === true) return undefined;
    const handlerBound = this.reflector.get<DpopBoundOptions | undefined>(DPOP_BOUND_METADATA, handler);
    if (handlerBound !== undefined) return handlerBound;
    const controller = context.getClass();
    if (handlerSkip !== false && this.reflector.get<boolean | undefined>(DPOP_SKIP_METADATA, controller) === true) {
      return undefined;
    }
    const controllerBound = this.reflector.get<DpopBoundOptions | undefined>(DPOP_BOUND_METADATA, controller);
    if (controllerBound !== undefined) return controllerBound;
    return this.options.protectAllRoutes || handlerSkip === false ? {} : undefined;
  }

  /** {@link getRouteOptions} once per handler and controller: metadata does not change after start-up. */
  private cachedRouteOptions(context: ExecutionContext): DpopBoundOptions | undefined {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.routes.get(handler);
    if (byController === undefined) this.routes.set(handler, (byController = new Map()));
    let route = byController.get(controller);
    if (route === undefined) byController.set(controller, (route = this.getRouteOptions(context) ?? null));
    return route ?? undefined;
  }

  /** The HTTP exchange a guard call protects, or why it has none (a refused context). */
  private guardedCall(context: ExecutionContext): GuardedCall | GraphqlRefusalReason | 'not-http' {
    const type = context.getType<string>();
    if (type === 'http') {
      const http = context.switchToHttp();
      const request = http.getRequest<HttpRequest>();
      return { request, response: http.getResponse<unknown>(), invocation: request };
    }
    if (type !== 'graphql') return 'not-http';
    const exchange = this.getGraphqlRequest(context);
    if (typeof exchange === 'string') return exchange;
    const info = context.getArgByIndex<unknown>(3);
    const invocation = typeof info === 'object' && info !== null ? info : context.getArgs();
    return { ...exchange, invocation, graphql: { apollo: exchange.apollo } };
  }

  /** The request's facts, read through the hooks, and its credentials verified. */
  private async verifyCredentials(request: HttpRequest, route: DpopBoundOptions | undefined): Promise<DpopContext> {
    const facts = requestFacts(request, this.getRequestUrl(request), this.getAuthorization(request));
    return this.authenticator.verifyCredentials(facts, route);
  }

  /** The RFC 9449 §7.1 challenge for a refusal, its headers on the response; a GraphQL error for a field. */
  private refusal(error: unknown, call: GuardedCall, route: DpopBoundOptions): Error {
    // Counted once: the authenticator has counted its own refusals; this counts the rest (the request's facts).
    this.telemetry.refused(error);
    const allowBearer = route.allowBearer === true;
    // The error goes on the Bearer challenge only where Bearer is offered and the client used it (RFC 6750 §3).
    const authorization = allowBearer ? credentialHeaders(call.request).authorization : [];
    const bearer = authorization.length === 1 && /^\s*bearer\s/i.test(authorization[0]!);
    const challenge = { algs: this.challengeAlgs, allowBearer, bearer };
    const exception = challengeException(error, this.adapterHost.httpAdapter, call.response, challenge, this.logger);
    return call.graphql ? DpopGraphqlError.fromHttpException(exception, call.graphql.apollo) : exception;
  }

  /**
   * A protected handler without an HTTP request a proof could bind to (a WebSocket
   * gateway, a microservice, a GraphQL subscription): let through only by
   * `shouldSkip`, else refused with its context's own error and one log line per handler.
   */
  private async refuseWithoutHttp(
    context: ExecutionContext,
    reason: GraphqlRefusalReason | 'not-http',
  ): Promise<boolean> {
    if (await this.shouldSkip(context)) return true;
    this.telemetry.refused(new DpopRequestError('a protected handler without an HTTP request'), 'not_http');
    const type = context.getType<string>();
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    if (!this.refusedHandlers.has(handler)) {
      this.refusedHandlers.add(handler);
      this.logger.error(
        reason === 'not-http'
          ? `@DpopBound() protects ${handler}, a "${type}" handler: DPoP proofs bind HTTP requests, so every ` +
              `call to it is refused. Remove @DpopBound() from it or authenticate it another way.`
          : graphqlRefusalMessage(handler, reason),
      );
    }
    switch (type) {
      case 'graphql':
        throw new DpopGraphqlError('invalid_request', 'DPoP binds HTTP requests; this call is not one', 400, false);
      case 'ws': {
        const { WsException } = await import('@nestjs/websockets');
        throw new WsException('Unauthorized');
      }
      case 'rpc': {
        const { RpcException } = await import('@nestjs/microservices');
        throw new RpcException('Unauthorized');
      }
      default:
        throw new UnauthorizedException();
    }
  }
}

/** @internal */
export function assertGuardConfigured(options: ResolvedDpopOptions): void {
  if (options.accessToken === undefined) {
    throw new DpopConfigurationError(
      'DpopGuard needs the DpopModule option "accessToken" ({ type: "jwt" | "introspection" | "custom", … }).',
    );
  }
}
