import { HttpException, type HttpServer, type Logger } from '@nestjs/common';
import { DpopError, DpopRequestError } from '../dpop.errors.js';
import { tokenEndpointException } from '../http/dpop-http-errors.js';
import type { DpopTelemetry } from '../observability/dpop-telemetry.js';
import type { DpopProofContext } from '../http/dpop-proof-context.js';
import type { HttpRequest } from '../http/dpop-request.js';
import { isObject } from '../internal/json.js';

/**
 * What the token and PAR endpoints share before their own checks: the request's
 * body parameters read the same way, and one refusal format.
 * @internal
 */

/** A request to an authorization-server endpoint, as the token and PAR interceptors see it. @internal */
export type EndpointRequest = HttpRequest & { body?: unknown; dpop?: DpopProofContext };

/** Body parameters, of which the named ones are known to be one string when present. @internal */
export type EndpointParameters<N extends string> = Partial<Record<N, string>> & Record<string, unknown>;

/**
 * The body's parameters, refusing any of `names` that is present but not one string
 * (RFC 6749 §3.1, §3.2: parameters are sent once). `grant_type[]=refresh_token` or a
 * repeated `dpop_jkt` would otherwise read differently here and in the handler.
 * @internal
 */
export function singleStringParameters<N extends string>(body: unknown, names: readonly N[]): EndpointParameters<N> {
  const params = isObject(body) ? body : {};
  for (const name of names) {
    if (params[name] !== undefined && typeof params[name] !== 'string') {
      throw new DpopRequestError(`${name} must be given once, as a string`);
    }
  }
  return params as EndpointParameters<N>;
}

/**
 * What an authorization-server endpoint answers for an error from its checks: its own
 * RFC 6749 §5.2 errors (`invalid_grant`, …) as they are, every `DpopError` through the
 * one token-endpoint mapping, counted (once: the authenticator counts its own refusals).
 * @internal
 */
export function endpointRefusal(
  error: unknown,
  telemetry: DpopTelemetry,
  adapter: HttpServer,
  response: unknown,
  logger: Logger,
): unknown {
  if (error instanceof HttpException && !(error instanceof DpopError)) return error;
  telemetry.refused(error);
  return tokenEndpointException(error, adapter, response, logger);
}
