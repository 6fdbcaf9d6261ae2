import {
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type HttpException,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { DPOP_BOUND_METADATA, DPOP_LOGGER_CONTEXT, DPOP_SKIP_METADATA } from '../dpop.constants.js';
import {
  AccessTokenError,
  DpopConfigurationError,
  DpopCredentialsRequiredError,
  DpopRequestError,
} from '../dpop.errors.js';
import { challengeException, type ChallengeContext } from '../http/dpop-http-errors.js';
import { DpopProofStep, type ReadProofRequest } from '../http/dpop-proof-step.js';
import {
  credentialHeaders,
  requestUrl,
  warnWhenClientChoosesHost,
  type HttpRequest as BaseRequest,
} from '../http/dpop-request.js';
import { nextLoopTurn } from '../internal/next-loop-turn.js';
import { InjectDpopOptions } from '../options/inject-dpop-options.decorator.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import { DpopNonceService } from '../proof/dpop-nonce.service.js';
import { DpopAccessTokenService, type VerifiedAccessToken } from './access-token/dpop-access-token.service.js';
import type { DpopBoundOptions, DpopContext } from './dpop-context.interface.js';
import { DpopGraphqlActivation } from './dpop-graphql-activation.js';
import { readGraphqlRequest, type GraphqlHttpExchange, type GraphqlRefusalReason } from './graphql-request.reader.js';

/** RFC 9110 token68. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

type HttpRequest = BaseRequest & { dpop?: DpopContext };

/** Requests a guard let through with `shouldSkip`: any later DpopGuard on the same request does too. */
const skipped = new WeakSet<object>();

/**
 * Enforces `@DpopBound()`: demands `Authorization: DPoP <token>` and exactly
 * one `DPoP` proof bound to that token (RFC 9449 §7), puts a
 * {@link DpopContext} on the request, and answers failures with the
 * challenges of RFC 9449 §7.1 and RFC 6750 §3. Works on Express and Fastify,
 * on a controller, a handler, or globally (`APP_GUARD`: routes opt in with
 * `@DpopBound()`, or all routes with the module option `protectAllRoutes`).
 *
 * Subclass it to change how the request URL or the credentials are read
 * (`getRequestUrl`, `getAuthorization`) or to let requests through
 * (`shouldSkip`); a subclass that needs a dependency of its own takes
 * `@InjectDpopOptions() options` and `Reflector` and passes them to `super()`.
 * @publicApi
 */
@Injectable()
export class DpopGuard implements CanActivate {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  @Inject(DpopAccessTokenService) protected readonly tokens!: DpopAccessTokenService;
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(DpopProofStep) private readonly proofStep!: DpopProofStep;
  @Inject(DpopTelemetry) private readonly telemetry!: DpopTelemetry;
  @Inject(DpopNonceService) private readonly nonces!: DpopNonceService;
  private readonly refusedHandlers = new Set<string>();
  /** `algs="…"` of the challenge, made once. */
  private readonly challengeAlgs: string;
  /** The route options of each handler (null: not protected), read from metadata once. */
  private readonly routes = new WeakMap<object, Map<object, DpopBoundOptions | null>>();
  /** `@DpopBound()` on GraphQL resolvers, on this guard's hooks and check. */
  private readonly graphql: DpopGraphqlActivation;

  constructor(
    @InjectDpopOptions() protected readonly options: ResolvedDpopOptions,
    protected readonly reflector: Reflector,
  ) {
    assertGuardConfigured(options);
    warnWhenClientChoosesHost(options, this.logger);
    this.challengeAlgs = `algs="${options.algorithms.join(' ')}"`;
    // Arrows, not values: the injected members (nonces, telemetry) are set after the constructor runs.
    this.graphql = new DpopGraphqlActivation({
      options,
      logger: this.logger,
      challengeAlgs: this.challengeAlgs,
      exchange: (context) => this.getGraphqlRequest(context),
      shouldSkip: (context) => this.shouldSkip(context),
      authenticate: (request, response, route, challenge) => this.authenticate(request, response, route, challenge),
      refusal: (error, response, challenge) => this.refusal(error, response, challenge),
      issueNonce: () => this.nonces.issue(),
    });
  }

  /**
   * Synchronous for a returning client (its token cached, a store that answers
   * at once): nothing is awaited on that path. Otherwise a promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.cachedRouteOptions(context);
    if (route === undefined) return true;
    const type = context.getType<string>();
    if (type === 'graphql') return this.graphql.activate(context, route);
    if (type !== 'http') return this.activateOther(context);
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    // Once per request: a second DpopGuard (global and on the route, or a subclass and the base) follows the first.
    if (request.dpop !== undefined || skipped.has(request)) return true;
    const skip = this.shouldSkip(context);
    if (skip === false) return this.activateHttp(request, http.getResponse<unknown>(), route);
    return Promise.resolve(skip).then((yes) => {
      if (!yes) return this.activateHttp(request, http.getResponse<unknown>(), route);
      skipped.add(request);
      return true;
    });
  }

  /** Authenticates an HTTP request: its context on the request, or the challenge thrown (or rejected). */
  private activateHttp(request: HttpRequest, response: unknown, route: DpopBoundOptions): boolean | Promise<boolean> {
    const challenge = { algs: this.challengeAlgs, allowBearer: route.allowBearer === true, bearer: false };
    try {
      const dpop = this.authenticate(request, response, route, challenge);
      if (dpop instanceof Promise) {
        return dpop.then(
          (context) => {
            request.dpop = context;
            return true;
          },
          (error: unknown) => {
            throw this.refusal(error, response, challenge);
          },
        );
      }
      request.dpop = dpop;
      return this.options.yieldToEventLoop ? nextLoopTurn(true) : true;
    } catch (error) {
      throw this.refusal(error, response, challenge);
    }
  }

  /** The RFC 9449 §7.1 challenge for a refusal, its headers set on `response` (a malformed request is counted). */
  private refusal(error: unknown, response: unknown, challenge: ChallengeContext): HttpException {
    if (error instanceof DpopRequestError) this.telemetry.requestRefused();
    return challengeException(error, this.adapterHost.httpAdapter, response, challenge, this.logger);
  }

  /** A protected handler outside HTTP and GraphQL: let through only by `shouldSkip`. */
  private async activateOther(context: ExecutionContext): Promise<boolean> {
    if (await this.shouldSkip(context)) return true;
    throw await this.refuseContext(context);
  }

  /**
   * Lets a request through without a DPoP check (as throttler's `shouldSkip`),
   * e.g. for an internal health probe. Runs only on protected routes.
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

  private authenticate(
    request: HttpRequest,
    response: unknown,
    route: DpopBoundOptions,
    challenge: { bearer: boolean },
  ): DpopContext | Promise<DpopContext> {
    const lines = this.getAuthorization(request);
    // Header shape, dot segments, Host: all before anything is verified or consumed.
    const read = this.proofStep.read(request, lines.dpop, (r) => this.getRequestUrl(r));
    const { authorization } = lines;
    if (authorization.length > 1) throw new DpopRequestError('more than one Authorization header');
    if (authorization.length === 0) throw new DpopCredentialsRequiredError('no Authorization header');

    const header = authorization[0]!.trim();
    if (header === '') throw new DpopRequestError('empty Authorization header');
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const token = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme !== 'dpop' && scheme !== 'bearer') {
      throw new DpopCredentialsRequiredError('unsupported authorization scheme');
    }
    if (token === '' || token.length > this.options.maxAccessTokenLength) {
      throw new DpopRequestError('malformed access token');
    }
    // A cached token passed the token68 check when it was first verified: only a new one is scanned.
    const cached = this.tokens.cached(token);
    if (cached === undefined && !TOKEN68.test(token)) throw new DpopRequestError('malformed access token');
    if (scheme === 'dpop' && read.proof === undefined) throw new DpopRequestError('DPoP scheme without a DPoP proof');
    if (scheme === 'bearer' && !route.allowBearer) throw new AccessTokenError('Bearer tokens are not accepted here');
    challenge.bearer = scheme === 'bearer';

    if (cached !== undefined) return this.bind(cached, scheme, token, read, response, route);
    return this.tokens.verify(token).then(
      (verified) => this.bind(verified, scheme, token, read, response, route),
      (error: unknown) => {
        this.telemetry.tokenRefused(error);
        throw error;
      },
    );
  }

  /** The verified token with its scheme: a Bearer context, or the proof checked against the token's key. */
  private bind(
    verified: VerifiedAccessToken,
    scheme: string,
    token: string,
    read: ReadProofRequest,
    response: unknown,
    route: DpopBoundOptions,
  ): DpopContext | Promise<DpopContext> {
    if (scheme === 'bearer') {
      if (verified.jkt !== undefined) throw new AccessTokenError('a key-bound token was presented as Bearer');
      return { scheme: 'Bearer', accessToken: token, token: verified.claims };
    }
    if (verified.jkt === undefined) {
      throw new AccessTokenError('an unbound token was presented with the DPoP scheme');
    }
    const proof = this.proofStep.verify(read, response, {
      accessToken: token,
      accessTokenHash: verified.ath,
      jkt: verified.jkt,
      requireNonce: route.requireNonce,
      batched: this.options.yieldToEventLoop,
    });
    if (proof instanceof Promise) {
      return proof.then((checked) => ({ scheme: 'DPoP', accessToken: token, token: verified.claims, ...checked }));
    }
    return { scheme: 'DPoP', accessToken: token, token: verified.claims, ...proof };
  }

  /**
   * A protected handler outside HTTP and GraphQL (a WebSocket gateway, a
   * microservice) is refused with its context's own error, never let through:
   * DPoP binds a proof to an HTTP request, which those calls do not have.
   */
  private async refuseContext(context: ExecutionContext): Promise<Error> {
    const type = context.getType<string>();
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    if (!this.refusedHandlers.has(handler)) {
      this.refusedHandlers.add(handler);
      this.logger.error(
        `@DpopBound() protects ${handler}, a "${type}" handler: DPoP proofs bind HTTP requests, so every call ` +
          `to it is refused. Remove @DpopBound() from it or authenticate it another way.`,
      );
    }
    switch (type) {
      case 'ws': {
        const { WsException } = await import('@nestjs/websockets');
        return new WsException('Unauthorized');
      }
      case 'rpc': {
        const { RpcException } = await import('@nestjs/microservices');
        return new RpcException('Unauthorized');
      }
      default:
        return new UnauthorizedException();
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
