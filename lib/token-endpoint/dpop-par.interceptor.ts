import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { DPOP_LOGGER_CONTEXT, DPOP_PAR_ENDPOINT_METADATA } from '../dpop.constants.js';
import { DpopConfigurationError, DpopRequestError } from '../dpop.errors.js';
import { tokenError } from '../http/dpop-http-errors.js';
import { DpopProofStep } from '../http/dpop-proof-step.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import { requestUrl, warnWhenClientChoosesHost, type HttpRequest } from '../http/dpop-request.js';
import { InjectDpopOptions } from '../options/inject-dpop-options.decorator.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import type { ResolvedParEndpointOptions } from './dpop-par-endpoint-options.interface.js';
import { parseDpopJkt } from './dpop-jkt.js';
import {
  endpointRefusal,
  singleStringParameters,
  verifyEndpointProof,
  type EndpointRequest,
} from './endpoint-request.js';
import { setParJkt } from './par-jkt.js';
import { resolveParEndpointOptions } from './resolve-par-endpoint-options.js';

/** PAR parameters the interceptor reads: each, when present, must be one string. */
const SINGLE_STRING_PARAMETERS = ['dpop_jkt', 'client_id', 'request_uri'] as const;

const DEFAULT_ENDPOINT = resolveParEndpointOptions();

/**
 * Guards a pushed authorization request endpoint (RFC 9126) the RFC 9449 §10.1 way,
 * with the same proof step and error format as the token endpoint: verifies the
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
export class DpopParInterceptor implements NestInterceptor {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
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
      throw new DpopConfigurationError('@DpopParEndpoint() applies to HTTP handlers only.');
    }
    const endpoint =
      this.reflector.getAllAndOverride<ResolvedParEndpointOptions | undefined>(DPOP_PAR_ENDPOINT_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_ENDPOINT;
    const http = context.switchToHttp();
    const request = http.getRequest<EndpointRequest>();
    const response = http.getResponse<unknown>();
    try {
      const params = singleStringParameters(request.body, SINGLE_STRING_PARAMETERS);
      if (params.request_uri !== undefined) throw new DpopRequestError('a pushed request must not carry request_uri');
      const dpopJkt = parseDpopJkt(params.dpop_jkt);
      const dpop = await verifyEndpointProof(this.proofStep, request, response, (r) => this.getRequestUrl(r), endpoint);
      // RFC 9449 §10.1: both given, they must name the same key.
      if (dpop !== undefined && dpopJkt !== undefined && dpop.jkt !== dpopJkt) {
        throw tokenError('invalid_dpop_proof', 'dpop_jkt does not match the key of the DPoP proof');
      }
      if (dpop) request.dpop = dpop;
      setParJkt(request, dpop?.jkt ?? dpopJkt);
    } catch (error) {
      throw endpointRefusal(error, this.telemetry, this.adapterHost.httpAdapter, response, this.logger);
    }
    return next.handle();
  }

  /** The PAR endpoint URL a proof must name. */
  protected getRequestUrl(request: HttpRequest): string {
    return requestUrl(request, this.options);
  }
}
