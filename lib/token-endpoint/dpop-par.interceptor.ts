import { Injectable, type CallHandler, type ExecutionContext } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { DPOP_PAR_ENDPOINT_METADATA } from '../dpop.constants.js';
import { DpopRequestError } from '../dpop.errors.js';
import { tokenError } from '../http/dpop-http-errors.js';
import { AuthorizationServerEndpointInterceptor } from './authorization-server-endpoint.interceptor.js';
import type { ResolvedParEndpointOptions } from './dpop-par-endpoint-options.interface.js';
import { parseDpopJkt } from './dpop-jkt.js';
import { singleStringParameters } from './endpoint-request.js';
import { setParJkt } from './par-jkt.js';
import { resolveParEndpointOptions } from './resolve-par-endpoint-options.js';

/** PAR parameters the interceptor reads: each, when present, must be one string. */
const SINGLE_STRING_PARAMETERS = ['dpop_jkt', 'client_id', 'request_uri'] as const;

const DEFAULT_ENDPOINT = resolveParEndpointOptions();

/**
 * Guards a pushed authorization request endpoint (RFC 9126) the RFC 9449 §10.1 way,
 * with the same proof check and error format as the token endpoint: verifies the
 * request's `DPoP` proof when there is one (`htm` POST, `htu` the endpoint, no
 * `ath`; required with `requireProof`), applies the nonce policy (`400
 * use_dpop_nonce` + `DPoP-Nonce`), refuses a `dpop_jkt` that is malformed
 * (`invalid_request`) or names another key than the proof's (`invalid_dpop_proof`),
 * and refuses a `request_uri` parameter (RFC 9126 §2.1). The handler reads the proof
 * with `@Dpop()` and the thumbprint to bind the code to with `@DpopParJkt()` /
 * `parJkt(request)`. Client authentication and the authorization parameters stay the
 * handler's job. Apply it with `@DpopParEndpoint()`.
 * @publicApi
 */
@Injectable()
export class DpopParInterceptor extends AuthorizationServerEndpointInterceptor<ResolvedParEndpointOptions> {
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const {
      options: endpoint,
      request,
      response,
    } = this.endpoint(context, DPOP_PAR_ENDPOINT_METADATA, DEFAULT_ENDPOINT, '@DpopParEndpoint()');
    try {
      const params = singleStringParameters(request.body, SINGLE_STRING_PARAMETERS);
      if (params.request_uri !== undefined) throw new DpopRequestError('a pushed request must not carry request_uri');
      const dpopJkt = parseDpopJkt(params.dpop_jkt);
      const dpop = await this.verifyProof(request, response, endpoint);
      // RFC 9449 §10.1: both given, they must name the same key.
      if (dpop !== undefined && dpopJkt !== undefined && dpop.jkt !== dpopJkt) {
        throw tokenError('invalid_dpop_proof', 'dpop_jkt does not match the key of the DPoP proof');
      }
      if (dpop) request.dpop = dpop;
      setParJkt(request, dpop?.jkt ?? dpopJkt);
    } catch (error) {
      throw this.refusal(error, response);
    }
    return next.handle();
  }
}
