import type { ExecutionContext, HttpException, Logger } from '@nestjs/common';
import { AccessTokenError, DpopProofError } from '../dpop.errors.js';
import type { ChallengeContext } from '../http/dpop-http-errors.js';
import { nextLoopTurn } from '../internal/next-loop-turn.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import type { DpopBoundOptions, DpopContext } from './dpop-context.interface.js';
import { DpopGraphqlError } from './dpop-graphql.error.js';
import { oncePerRequest, type GraphqlOutcome } from './graphql-request-outcome.js';
import {
  graphqlRefusalMessage,
  type GraphqlHttpExchange,
  type GraphqlRefusalReason,
} from './graphql-request.reader.js';

/** What the GraphQL side borrows from `DpopGuard`: its hooks, its one HTTP check and its challenge. @internal */
export interface GraphqlGuardHost {
  readonly options: ResolvedDpopOptions;
  readonly logger: Logger;
  /** `algs="…"` of the challenge. */
  readonly challengeAlgs: string;
  /** `getGraphqlRequest`, which a subclass may override. */
  exchange(context: ExecutionContext): GraphqlHttpExchange | GraphqlRefusalReason;
  shouldSkip(context: ExecutionContext): boolean | Promise<boolean>;
  /** The guard's check of the HTTP request: its context, thrown or rejected refusals. */
  authenticate(
    request: GraphqlHttpExchange['request'],
    response: unknown,
    route: DpopBoundOptions,
    challenge: ChallengeContext,
  ): DpopContext | Promise<DpopContext>;
  /** The guard's challenge for a refusal, with its headers set on `response`. */
  refusal(error: unknown, response: unknown, challenge: ChallengeContext): HttpException;
  issueNonce(): string;
}

/**
 * `@DpopBound()` on GraphQL resolvers: the first guarded field of an HTTP request
 * runs the guard's check (and records the proof's `jti`); every other field of that
 * request, concurrent or not, awaits the same outcome. A field stricter than the
 * first (no Bearer, a nonce demanded) is still held to its own options. Refusals
 * carry the challenge headers on the HTTP response and a GraphQL error in the body.
 * @internal
 */
export class DpopGraphqlActivation {
  private readonly refusedHandlers = new Set<string>();

  constructor(private readonly host: GraphqlGuardHost) {}

  activate(context: ExecutionContext, route: DpopBoundOptions): Promise<boolean> {
    const exchange = this.host.exchange(context);
    if (typeof exchange === 'string') return this.refuseUnlessSkipped(context, exchange);
    return oncePerRequest(exchange.request, () => this.check(context, exchange, route)).then((outcome) =>
      this.decide(outcome, route, exchange),
    );
  }

  /** What one guarded field decides from its request's outcome: through, or the refusal thrown. */
  private decide(outcome: GraphqlOutcome, route: DpopBoundOptions, exchange: GraphqlHttpExchange): boolean {
    if ('refusal' in outcome) throw outcome.refusal;
    if ('skipped' in outcome) return true;
    const { dpop } = outcome;
    const nonceRequired = route.requireNonce ?? this.host.options.nonce.required;
    let stricter: Error | undefined;
    if (dpop.scheme === 'Bearer' && route.allowBearer !== true) {
      stricter = new AccessTokenError('Bearer tokens are not accepted here');
    } else if (nonceRequired && !outcome.nonceRequired && dpop.proof?.nonce === undefined) {
      // Nonces present are checked whatever the route says; only a missing one can pass a laxer first field.
      stricter = new DpopProofError('use_dpop_nonce', 'nonce', 'DPoP proof nonce is required', this.host.issueNonce());
    }
    if (stricter === undefined) return true;
    throw this.refusal(stricter, exchange, { algs: this.host.challengeAlgs, allowBearer: false, bearer: false });
  }

  /** The one check of a GraphQL HTTP request; never rejects (a refusal is an outcome, made once). */
  private check(
    context: ExecutionContext,
    exchange: GraphqlHttpExchange,
    route: DpopBoundOptions,
  ): Promise<GraphqlOutcome> {
    const { request, response } = exchange;
    const challenge = { algs: this.host.challengeAlgs, allowBearer: route.allowBearer === true, bearer: false };
    const nonceRequired = route.requireNonce ?? this.host.options.nonce.required;
    const refused = (error: unknown): GraphqlOutcome => ({ refusal: this.refusal(error, exchange, challenge) });
    const accepted = (dpop: DpopContext): GraphqlOutcome => {
      request.dpop = dpop;
      return { dpop, nonceRequired };
    };
    const run = (): GraphqlOutcome | Promise<GraphqlOutcome> => {
      const dpop = this.host.authenticate(request, response, route, challenge);
      if (dpop instanceof Promise) return dpop.then(accepted, refused);
      const outcome = accepted(dpop);
      return this.host.options.yieldToEventLoop ? nextLoopTurn(outcome) : outcome;
    };
    try {
      if (request.dpop !== undefined) return Promise.resolve({ dpop: request.dpop, nonceRequired });
      const skip = this.host.shouldSkip(context);
      if (skip === false) return Promise.resolve(run());
      return Promise.resolve(skip)
        .then((yes) => (yes ? { skipped: true as const } : run()))
        .catch(refused);
    } catch (error) {
      return Promise.resolve(refused(error));
    }
  }

  /** The challenge headers on the HTTP response (as on a REST route) and the GraphQL error for the body. */
  private refusal(error: unknown, exchange: GraphqlHttpExchange, challenge: ChallengeContext): DpopGraphqlError {
    return DpopGraphqlError.fromHttpException(this.host.refusal(error, exchange.response, challenge), exchange.apollo);
  }

  /** A guarded subscription, or a GraphQL call without an HTTP request: refused (logged once per handler). */
  private async refuseUnlessSkipped(context: ExecutionContext, reason: GraphqlRefusalReason): Promise<boolean> {
    if (await this.host.shouldSkip(context)) return true;
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    if (!this.refusedHandlers.has(handler)) {
      this.refusedHandlers.add(handler);
      this.host.logger.error(graphqlRefusalMessage(handler, reason));
    }
    throw new DpopGraphqlError('invalid_request', 'DPoP binds HTTP requests; this call is not one', 400, false);
  }
}
