import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { from, mergeMap, type Observable } from 'rxjs';
import { DPOP_LOGGER_CONTEXT, DPOP_OPTIONS, DPOP_TOKEN_ENDPOINT_METADATA } from '../dpop.constants.js';
import { DpopProofError, DpopStoreUnavailableError } from '../dpop.errors.js';
import type { ResolvedDpopOptions } from '../options/resolve-dpop-options.js';
import { credentialHeaders, nodeRequest, requestUrl, type HttpRequest } from '../http/dpop-request.js';
import { DpopStore } from '../storage/dpop-store.js';
import { hashRefreshToken, type RefreshTokenBinding } from '../storage/refresh-token-binding.js';
import { DpopVerifierService } from '../proof/dpop-verifier.service.js';
import type { DpopContext } from '../resource-server/dpop-context.interface.js';
import type { DpopTokenEndpointOptions } from './dpop-token-endpoint-options.interface.js';

const DEFAULT_REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;

type TokenRequest = HttpRequest & { body?: Record<string, unknown>; dpop?: DpopContext };

/** An RFC 6749 §5.2 error response: 400 JSON, never a WWW-Authenticate challenge. */
function tokenError(error: string, description: string, status = HttpStatus.BAD_REQUEST): HttpException {
  return new HttpException({ error, error_description: description }, status);
}

/**
 * Makes a token endpoint handler issue DPoP-bound tokens (RFC 9449 §5):
 * checks the request's DPoP proof (`htm` POST, `htu` the endpoint, no
 * `ath`) and the nonce policy, exposes the proof as `DpopContext` (read it
 * with `@Dpop()` and put `cnf: { jkt }` in the access token you mint),
 * honours a bound refresh token only with a proof by the same key, and after
 * the handler sets `token_type: "DPoP"` and stores the new refresh token's
 * binding. Apply it with `@DpopTokenEndpoint()`.
 * @publicApi
 */
@Injectable()
export class DpopTokenInterceptor implements NestInterceptor {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: DpopVerifierService,
    protected readonly store: DpopStore,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(DPOP_OPTIONS) protected readonly options: ResolvedDpopOptions,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const endpoint =
      this.reflector.getAllAndOverride<DpopTokenEndpointOptions | undefined>(DPOP_TOKEN_ENDPOINT_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const http = context.switchToHttp();
    const request = http.getRequest<TokenRequest>();
    const response = http.getResponse<unknown>();
    const body = request.body ?? {};

    const dpop = await this.checkProof(request, response, endpoint);
    const previous = await this.checkRefreshToken(body, dpop);
    if (dpop) request.dpop = dpop;

    return next.handle().pipe(mergeMap((result) => from(this.afterHandler(result, request, endpoint, dpop, previous))));
  }

  /** The token endpoint URL a proof must name. */
  protected getRequestUrl(request: HttpRequest): string {
    return requestUrl(request, this.options);
  }

  /**
   * True when the token request carries client authentication (then the client is confidential and,
   * with `bindRefreshTokens: 'public'`, its refresh token is not bound). The handler must refuse
   * credentials it cannot verify (RFC 6749 §2.3), or a public client could opt out of the binding by
   * sending a made-up secret; override this hook to use your own client registry instead.
   */
  protected isConfidentialClient(request: TokenRequest): boolean {
    const body = request.body ?? {};
    return (
      credentialHeaders(request).authorization.length > 0 ||
      body.client_secret !== undefined ||
      body.client_assertion !== undefined
    );
  }

  private async checkProof(
    request: TokenRequest,
    response: unknown,
    endpoint: DpopTokenEndpointOptions,
  ): Promise<DpopContext | undefined> {
    const { dpop } = credentialHeaders(request);
    if (dpop.length > 1) throw tokenError('invalid_dpop_proof', 'More than one DPoP header');
    if (dpop.length === 0) {
      if (endpoint.requireProof) throw tokenError('invalid_dpop_proof', 'A DPoP proof is required');
      return undefined;
    }
    try {
      const result = await this.verifier.verify(dpop[0], {
        method: nodeRequest(request).method ?? '',
        url: this.getRequestUrl(request),
        requireNonce: endpoint.nonce,
      });
      return {
        scheme: 'DPoP',
        accessToken: '',
        token: {},
        jkt: result.jkt,
        jwk: result.jwk,
        proof: result.claims,
        proofHeader: result.header,
      };
    } catch (error) {
      if (error instanceof DpopProofError) {
        this.logger.debug(`Token request DPoP proof refused: ${error.message}`);
        if (error.nonce !== undefined) {
          this.adapterHost.httpAdapter.setHeader(response, 'DPoP-Nonce', error.nonce);
          this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
          throw tokenError('use_dpop_nonce', 'Authorization server requires nonce in DPoP proof');
        }
        throw tokenError('invalid_dpop_proof', 'The DPoP proof is not valid');
      }
      throw this.unavailable(error);
    }
  }

  /** A bound refresh token is honoured only with a proof by its key (RFC 9449 §5). */
  private async checkRefreshToken(
    body: Record<string, unknown>,
    dpop: DpopContext | undefined,
  ): Promise<RefreshTokenBinding | undefined> {
    if (body.grant_type !== 'refresh_token' || body.refresh_token === undefined) return undefined;
    if (typeof body.refresh_token !== 'string') {
      // e.g. refresh_token[]=… parsed as an array: never let it slip past the binding check
      throw tokenError('invalid_request', 'refresh_token must be a single string');
    }
    let binding: RefreshTokenBinding | undefined;
    try {
      binding = await this.store.findRefreshTokenBinding(hashRefreshToken(body.refresh_token));
    } catch (error) {
      throw this.unavailable(error);
    }
    if (binding !== undefined && binding.jkt !== dpop?.jkt) {
      throw tokenError('invalid_grant', 'The refresh token is bound to another DPoP key');
    }
    return binding;
  }

  private async afterHandler(
    result: unknown,
    request: TokenRequest,
    endpoint: DpopTokenEndpointOptions,
    dpop: DpopContext | undefined,
    previous: RefreshTokenBinding | undefined,
  ): Promise<unknown> {
    if (dpop === undefined || typeof result !== 'object' || result === null) return result;
    const tokens = result as Record<string, unknown>;
    if (typeof tokens.access_token === 'string') tokens.token_type = 'DPoP';
    const refreshToken = tokens.refresh_token;
    const bindAll = endpoint.bindRefreshTokens === 'all';
    if (
      typeof refreshToken === 'string' &&
      (previous !== undefined || bindAll || !this.isConfidentialClient(request))
    ) {
      const lifetime =
        typeof tokens.refresh_token_expires_in === 'number'
          ? tokens.refresh_token_expires_in
          : (endpoint.refreshTokenLifetime ?? DEFAULT_REFRESH_TOKEN_LIFETIME);
      const body = request.body ?? {};
      try {
        // A rotated token's binding stays until it expires: should the server still honour the old token,
        // it must still demand the key (a missing binding would read as "unbound").
        await this.store.saveRefreshTokenBinding({
          tokenHash: hashRefreshToken(refreshToken),
          jkt: dpop.jkt!,
          clientId: previous?.clientId ?? (typeof body.client_id === 'string' ? body.client_id : ''),
          expiresAt: this.options.now() + lifetime * 1000,
        });
      } catch (error) {
        // Never hand out a refresh token whose binding was not stored.
        throw this.unavailable(error);
      }
    }
    return tokens;
  }

  private unavailable(error: unknown): HttpException {
    if (!(error instanceof DpopStoreUnavailableError)) {
      this.logger.error('DPoP store failed at the token endpoint; refusing the request.', error as Error);
    }
    return tokenError('temporarily_unavailable', 'Please retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
}
