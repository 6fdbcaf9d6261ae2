import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { from, mergeMap, type Observable } from 'rxjs';
import { DPOP_LOGGER_CONTEXT, DPOP_TOKEN_ENDPOINT_METADATA } from '../dpop.constants.js';
import { DpopConfigurationError, DpopStoreUnavailableError } from '../dpop.errors.js';
import { tokenEndpointException, tokenError } from '../http/dpop-http-errors.js';
import type { DpopProofContext } from '../http/dpop-proof-context.js';
import { DpopProofStep } from '../http/dpop-proof-step.js';
import { credentialHeaders, requestUrl, warnWhenClientChoosesHost, type HttpRequest } from '../http/dpop-request.js';
import { isObject } from '../internal/json.js';
import { InjectDpopOptions } from '../options/inject-dpop-options.decorator.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import { DpopStore } from '../storage/dpop-store.js';
import { hashRefreshToken, type RefreshTokenBinding } from '../storage/refresh-token-binding.js';
import type { ResolvedTokenEndpointOptions } from './dpop-token-endpoint-options.interface.js';
import {
  endpointRefusal,
  singleStringParameters,
  verifyEndpointProof,
  type EndpointParameters,
  type EndpointRequest,
} from './endpoint-request.js';
import { resolveTokenEndpointOptions } from './resolve-token-endpoint-options.js';

type TokenRequest = EndpointRequest;

/** Token-request parameters the interceptor acts on: each, when present, must be one string. */
const SINGLE_STRING_PARAMETERS = ['grant_type', 'refresh_token', 'code', 'dpop_jkt', 'client_id'] as const;
type TokenParameters = EndpointParameters<(typeof SINGLE_STRING_PARAMETERS)[number]>;

const DEFAULT_ENDPOINT = resolveTokenEndpointOptions();

/**
 * Makes a token endpoint handler issue DPoP-bound tokens (RFC 9449 §5):
 * checks the request's DPoP proof (`htm` POST, `htu` the endpoint, no
 * `ath`) and the nonce policy, exposes the proof as a {@link DpopProofContext}
 * (read it with `@Dpop()` and put `cnf: { jkt }` in the access token you mint),
 * honours a bound refresh token only with a proof by the same key, and after
 * the handler sets `token_type: "DPoP"` and stores the new refresh token's
 * binding. Apply it with `@DpopTokenEndpoint()`.
 * @publicApi
 */
@Injectable()
export class DpopTokenInterceptor implements NestInterceptor {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  @Inject(DpopStore) protected readonly store!: DpopStore;
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(DpopProofStep) private readonly proofStep!: DpopProofStep;
  @Inject(DpopTelemetry) private readonly telemetry!: DpopTelemetry;

  constructor(
    @InjectDpopOptions() protected readonly options: ResolvedDpopOptions,
    protected readonly reflector: Reflector,
  ) {
    warnWhenClientChoosesHost(options, this.logger);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') {
      throw new DpopConfigurationError('@DpopTokenEndpoint() applies to HTTP handlers only.');
    }
    const endpoint =
      this.reflector.getAllAndOverride<ResolvedTokenEndpointOptions | undefined>(DPOP_TOKEN_ENDPOINT_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_ENDPOINT;
    const http = context.switchToHttp();
    const request = http.getRequest<TokenRequest>();
    const response = http.getResponse<unknown>();

    let params: TokenParameters;
    let dpop: DpopProofContext | undefined;
    let previous: RefreshTokenBinding | undefined;
    try {
      params = singleStringParameters(request.body, SINGLE_STRING_PARAMETERS);
      dpop = await verifyEndpointProof(this.proofStep, request, response, (r) => this.getRequestUrl(r), endpoint);
      previous = await this.checkRefreshToken(params, dpop);
    } catch (error) {
      throw endpointRefusal(error, this.telemetry, this.adapterHost.httpAdapter, response, this.logger);
    }
    if (dpop) request.dpop = dpop;
    return next
      .handle()
      .pipe(mergeMap((result) => from(this.afterHandler(result, request, params, endpoint, dpop, previous))));
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
    const body = isObject(request.body) ? request.body : {};
    return (
      credentialHeaders(request).authorization.length > 0 ||
      body.client_secret !== undefined ||
      body.client_assertion !== undefined
    );
  }

  /**
   * A bound refresh token is honoured only with a proof by its key (RFC 9449 §5), whatever
   * `grant_type` says: the check runs whenever a `refresh_token` parameter is present.
   */
  private async checkRefreshToken(
    params: TokenParameters,
    dpop: DpopProofContext | undefined,
  ): Promise<RefreshTokenBinding | undefined> {
    if (params.refresh_token === undefined) return undefined;
    let binding: RefreshTokenBinding | undefined;
    try {
      binding = await this.store.findRefreshTokenBinding(hashRefreshToken(params.refresh_token));
    } catch (error) {
      this.logger.error('DpopStore could not read a refresh-token binding; refusing the request.', error as Error);
      this.telemetry.storeFailure();
      throw new DpopStoreUnavailableError(error);
    }
    if (binding === undefined) return undefined;
    if (dpop === undefined) throw tokenError('invalid_grant', 'A DPoP proof is required for this refresh token');
    if (binding.jkt !== dpop.jkt) throw tokenError('invalid_grant', 'The refresh token is bound to another DPoP key');
    return binding;
  }

  private async afterHandler(
    result: unknown,
    request: TokenRequest,
    params: TokenParameters,
    endpoint: ResolvedTokenEndpointOptions,
    dpop: DpopProofContext | undefined,
    previous: RefreshTokenBinding | undefined,
  ): Promise<unknown> {
    if (dpop === undefined || typeof result !== 'object' || result === null) return result;
    const tokens = result as Record<string, unknown>;
    if (typeof tokens.access_token === 'string') tokens.token_type = 'DPoP';
    const refreshToken = tokens.refresh_token;
    if (
      typeof refreshToken === 'string' &&
      (previous !== undefined || endpoint.bindRefreshTokens === 'all' || !this.isConfidentialClient(request))
    ) {
      const lifetime =
        typeof tokens.refresh_token_expires_in === 'number'
          ? tokens.refresh_token_expires_in
          : endpoint.refreshTokenLifetime;
      try {
        // A rotated token's binding stays until it expires: should the server still honour the old token,
        // it must still demand the key (a missing binding would read as "unbound").
        await this.store.saveRefreshTokenBinding({
          tokenHash: hashRefreshToken(refreshToken),
          jkt: dpop.jkt,
          clientId: previous?.clientId ?? params.client_id ?? '',
          expiresAt: this.options.now() + lifetime * 1000,
        });
      } catch (error) {
        // Never hand out a refresh token whose binding was not stored.
        this.logger.error('DpopStore could not save a refresh-token binding; refusing the request.', error as Error);
        this.telemetry.storeFailure();
        throw tokenEndpointException(
          new DpopStoreUnavailableError(error),
          this.adapterHost.httpAdapter,
          null,
          this.logger,
        );
      }
    }
    return tokens;
  }
}
