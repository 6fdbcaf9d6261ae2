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
import { DPOP_LOGGER_CONTEXT } from '../dpop.constants.js';
import { DpopConfigurationError } from '../dpop.errors.js';
import type { DpopProofContext } from '../http/dpop-proof-context.js';
import { DpopAuthenticator, type DpopEndpointPolicy } from '../http/dpop-authenticator.js';
import { writeNonce } from '../http/dpop-http-errors.js';
import {
  credentialHeaders,
  requestFacts,
  requestUrl,
  warnWhenClientChoosesHost,
  type HttpRequest,
} from '../http/dpop-request.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import { InjectDpopOptions } from '../options/inject-dpop-options.decorator.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { endpointRefusal, type EndpointRequest } from './endpoint-request.js';

/**
 * What the token and PAR endpoint interceptors share: their dependencies, the
 * start-up warning about the host, the endpoint's options from its decorator,
 * the request's proof checked by `DpopAuthenticator`, and one refusal format
 * (RFC 6749 §5.2).
 * A subclass that adds a dependency passes `@InjectDpopOptions() options` and
 * `Reflector` to `super()`.
 * @internal
 */
@Injectable()
export abstract class AuthorizationServerEndpointInterceptor<
  Options extends DpopEndpointPolicy,
> implements NestInterceptor {
  protected readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(DpopTelemetry) protected readonly telemetry!: DpopTelemetry;
  @Inject(DpopAuthenticator) private readonly authenticator!: DpopAuthenticator;

  constructor(
    @InjectDpopOptions() protected readonly options: ResolvedDpopOptions,
    protected readonly reflector: Reflector,
  ) {
    warnWhenClientChoosesHost(options, this.logger);
  }

  abstract intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>>;

  /** The endpoint URL a proof must name. */
  protected getRequestUrl(request: HttpRequest): string {
    return requestUrl(request, this.options);
  }

  /** The handler's options (from its decorator's metadata, else `defaults`) and its request and response. */
  protected endpoint(
    context: ExecutionContext,
    metadataKey: string,
    defaults: Options,
    decorator: string,
  ): { options: Options; request: EndpointRequest; response: unknown } {
    if (context.getType() !== 'http') throw new DpopConfigurationError(`${decorator} applies to HTTP handlers only.`);
    const options =
      this.reflector.getAllAndOverride<Options | undefined>(metadataKey, [context.getHandler(), context.getClass()]) ??
      defaults;
    const http = context.switchToHttp();
    return { options, request: http.getRequest<EndpointRequest>(), response: http.getResponse<unknown>() };
  }

  /**
   * The request's proof, checked by the authenticator (a fresh `DPoP-Nonce` written when one
   * is due); undefined when there is none and none is required.
   */
  protected async verifyProof(
    request: EndpointRequest,
    response: unknown,
    policy: DpopEndpointPolicy,
  ): Promise<DpopProofContext | undefined> {
    const facts = requestFacts(request, this.getRequestUrl(request), credentialHeaders(request));
    const { context, nonce } = await this.authenticator.verifyEndpointProof(facts, policy);
    if (nonce !== undefined) writeNonce(this.adapterHost.httpAdapter, response, nonce);
    return context;
  }

  /** The error to throw for a refusal: RFC 6749 §5.2 JSON, never a challenge. */
  protected refusal(error: unknown, response: unknown): unknown {
    return endpointRefusal(error, this.telemetry, this.adapterHost.httpAdapter, response, this.logger);
  }
}
