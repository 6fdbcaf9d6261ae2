import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { AccessTokenError } from './access-token/access-token.verifier.js';
import { DpopAccessTokenService } from './access-token/dpop-access-token.service.js';
import { DPOP_BOUND_METADATA, DPOP_LOGGER_CONTEXT, DPOP_OPTIONS } from '../dpop.constants.js';
import { DpopConfigurationError, DpopProofError, DpopStoreUnavailableError } from '../dpop.errors.js';
import type { ResolvedDpopOptions } from '../options/resolve-dpop-options.js';
import { DpopNonceService } from '../proof/dpop-nonce.service.js';
import { DpopVerifierService } from '../proof/dpop-verifier.service.js';
import { credentialHeaders, nodeRequest, requestUrl, type HttpRequest as BaseRequest } from '../http/dpop-request.js';
import type { DpopBoundOptions, DpopContext } from './dpop-context.interface.js';

/** RFC 9110 token68. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The error codes of a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1, RFC 6750 §3.1). */
type ChallengeError = 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';

const DESCRIPTIONS: Record<ChallengeError, string> = {
  invalid_request: 'The request is malformed',
  invalid_token: 'The access token is not valid',
  invalid_dpop_proof: 'The DPoP proof is not valid',
  use_dpop_nonce: 'Resource server requires nonce in DPoP proof',
};

/** A refusal on its way to becoming a response; `reason` goes to the log only. */
class Refusal {
  constructor(
    readonly error: ChallengeError | undefined,
    readonly reason: string,
    readonly nonce?: string,
    /** The client used the Bearer scheme on a route that allows it: the error goes on the Bearer challenge. */
    readonly bearer = false,
  ) {}
}

type HttpRequest = BaseRequest & { dpop?: DpopContext };

/**
 * Enforces `@DpopBound()`: demands `Authorization: DPoP <token>` and exactly
 * one `DPoP` proof bound to that token (RFC 9449 §7), puts a
 * {@link DpopContext} on the request, and answers failures with the
 * challenges of RFC 9449 §7.1 and RFC 6750 §3. Works on Express and Fastify,
 * on a controller, a handler, or globally (`APP_GUARD`, routes opt in).
 *
 * Subclass it to change how the request URL or the token is read
 * (`getRequestUrl`, `getAuthorization`).
 * @publicApi
 */
@Injectable()
export class DpopGuard implements CanActivate {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  private readonly challengeAlgs: string;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: DpopVerifierService,
    protected readonly tokens: DpopAccessTokenService,
    protected readonly nonces: DpopNonceService,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(DPOP_OPTIONS) protected readonly options: ResolvedDpopOptions,
  ) {
    assertGuardConfigured(options);
    this.challengeAlgs = `algs="${verifier.algorithms.join(' ')}"`;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.reflector.getAllAndOverride<DpopBoundOptions | undefined>(DPOP_BOUND_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (route === undefined || context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    if (request.dpop !== undefined) return true; // already checked (guard registered twice)
    try {
      request.dpop = await this.authenticate(request, route, http.getResponse());
      return true;
    } catch (error) {
      throw this.toHttpException(error, http.getResponse(), route);
    }
  }

  /** The absolute URL the client addressed; what a proof's `htu` must name. */
  protected getRequestUrl(request: HttpRequest): string {
    return requestUrl(request, this.options);
  }

  /** The `Authorization` and `DPoP` header lines, from the raw headers so duplicates are seen. */
  protected getAuthorization(request: HttpRequest): { authorization: string[]; dpop: string[] } {
    return credentialHeaders(request);
  }

  private async authenticate(request: HttpRequest, route: DpopBoundOptions, response: unknown): Promise<DpopContext> {
    const { authorization, dpop } = this.getAuthorization(request);
    if (authorization.length > 1) throw new Refusal('invalid_request', 'more than one Authorization header');
    if (dpop.length > 1) throw new Refusal('invalid_request', 'more than one DPoP header');
    const proof = dpop[0];
    if (proof !== undefined && (proof === '' || proof.includes(',') || proof.length > this.options.maxProofLength)) {
      throw new Refusal('invalid_request', 'DPoP header is empty, a list, or too long');
    }
    if (authorization.length === 0) throw new Refusal(undefined, 'no Authorization header');

    const header = authorization[0]!.trim();
    if (header === '') throw new Refusal('invalid_request', 'empty Authorization header');
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const token = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme !== 'dpop' && scheme !== 'bearer') throw new Refusal(undefined, 'unsupported authorization scheme');
    if (token === '' || token.length > this.options.maxAccessTokenLength || !TOKEN68.test(token)) {
      throw new Refusal('invalid_request', 'malformed access token');
    }
    if (scheme === 'dpop' && proof === undefined)
      throw new Refusal('invalid_request', 'DPoP scheme without a DPoP proof');
    if (scheme === 'bearer' && !route.allowBearer)
      throw new Refusal('invalid_token', 'Bearer tokens are not accepted here');

    const bearer = scheme === 'bearer';
    let verified;
    try {
      verified = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof AccessTokenError) throw new Refusal('invalid_token', error.message, undefined, bearer);
      throw error;
    }
    if (bearer) {
      if (verified.jkt !== undefined) {
        throw new Refusal('invalid_token', 'a key-bound token was presented as Bearer', undefined, true);
      }
      return { scheme: 'Bearer', accessToken: token, token: verified.claims };
    }
    if (verified.jkt === undefined)
      throw new Refusal('invalid_token', 'an unbound token was presented with the DPoP scheme');

    const result = await this.verifier.verify(proof, {
      method: nodeRequest(request).method ?? '',
      url: this.getRequestUrl(request),
      accessToken: token,
      jkt: verified.jkt,
      requireNonce: route.nonce,
    });
    if ((route.nonce ?? this.options.nonce.required) && result.claims.nonce !== this.nonces.issue()) {
      this.adapterHost.httpAdapter.setHeader(response, 'DPoP-Nonce', this.nonces.issue());
    }
    return {
      scheme: 'DPoP',
      accessToken: token,
      token: verified.claims,
      jkt: result.jkt,
      jwk: result.jwk,
      proof: result.claims,
      proofHeader: result.header,
    };
  }

  private toHttpException(error: unknown, response: unknown, route: DpopBoundOptions): unknown {
    let refusal: Refusal;
    if (error instanceof Refusal) refusal = error;
    else if (error instanceof DpopProofError) refusal = new Refusal(error.code, error.message, error.nonce);
    else if (error instanceof DpopStoreUnavailableError) return error;
    else {
      this.logger.error('DPoP check could not complete; refusing the request.', error as Error);
      return new HttpException(
        { error: 'temporarily_unavailable', error_description: 'Authorization could not be checked' },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    this.logger.debug(`DPoP request refused (${refusal.error ?? 'no credentials'}): ${refusal.reason}`);
    const adapter = this.adapterHost.httpAdapter;
    const params = refusal.error ? `error="${refusal.error}", error_description="${DESCRIPTIONS[refusal.error]}"` : '';
    const dpopChallenge = `DPoP ${params && !refusal.bearer ? `${params}, ` : ''}${this.challengeAlgs}`;
    const bearerChallenge = refusal.bearer ? `Bearer ${params}` : 'Bearer';
    adapter.setHeader(
      response,
      'WWW-Authenticate',
      route.allowBearer ? `${dpopChallenge}, ${bearerChallenge}` : dpopChallenge,
    );
    if (refusal.nonce !== undefined) {
      adapter.setHeader(response, 'DPoP-Nonce', refusal.nonce);
      adapter.setHeader(response, 'Cache-Control', 'no-store');
    }
    const status = refusal.error === 'invalid_request' ? HttpStatus.BAD_REQUEST : HttpStatus.UNAUTHORIZED;
    const body = refusal.error
      ? { error: refusal.error, error_description: DESCRIPTIONS[refusal.error] }
      : { error: 'unauthorized', error_description: 'DPoP-bound access token required' };
    return new HttpException(body, status);
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
