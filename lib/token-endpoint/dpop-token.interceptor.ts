import { Inject, Injectable, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import { DPOP_TOKEN_ENDPOINT_METADATA } from '../dpop.constants.js';
import { DpopStoreUnavailableError } from '../dpop.errors.js';
import { tokenEndpointException, tokenError } from '../http/dpop-http-errors.js';
import type { DpopProofContext } from '../http/dpop-proof-context.js';
import { credentialHeaders } from '../http/dpop-request.js';
import { isObject } from '../internal/json.js';
import { DpopStore } from '../storage/dpop-store.js';
import { hashRefreshToken, type RefreshTokenBinding } from '../storage/refresh-token-binding.js';
import { AuthorizationServerEndpointInterceptor } from './authorization-server-endpoint.interceptor.js';
import type { ResolvedTokenEndpointOptions } from './dpop-token-endpoint-options.interface.js';
import { singleStringParameters, type EndpointParameters, type EndpointRequest } from './endpoint-request.js';
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
export class DpopTokenInterceptor extends AuthorizationServerEndpointInterceptor<ResolvedTokenEndpointOptions> {
  @Inject(DpopStore) protected readonly store!: DpopStore;

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const {
      options: endpoint,
      request,
      response,
    } = this.endpoint(context, DPOP_TOKEN_ENDPOINT_METADATA, DEFAULT_ENDPOINT, '@DpopTokenEndpoint()');
    let params: TokenParameters;
    let dpop: DpopProofContext | undefined;
    let previous: RefreshTokenBinding | undefined;
    try {
      params = singleStringParameters(request.body, SINGLE_STRING_PARAMETERS);
      dpop = await this.verifyProof(request, response, endpoint);
      previous = await this.checkRefreshToken(params, dpop);
    } catch (error) {
      throw this.refusal(error, response);
    }
    if (dpop) request.dpop = dpop;
    return next
      .handle()
      .pipe(mergeMap((result) => from(this.afterHandler(result, request, params, endpoint, dpop, previous))));
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
