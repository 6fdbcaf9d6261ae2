import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DpopConfigurationError } from '../dpop.errors.js';
import type { HttpRequest } from '../http/dpop-request.js';
import { existingRequestState, requestState } from '../http/request-state.js';

/** Records what {@link parJkt} answers for `request` (in the request's state). @internal */
export function setParJkt(request: object, jkt: string | undefined): void {
  requestState(request as HttpRequest).parJkt = Object.freeze({ jkt });
}

/**
 * The JWK thumbprint the authorization code of a pushed authorization request must be
 * bound to (RFC 9449 §10.1): the DPoP proof's key when the request carried a proof,
 * else its `dpop_jkt` parameter, else undefined (the code is not bound). Store it with
 * the `request_uri`, put it on the code, and check it with `assertDpopJkt` at the token
 * request. Throws a `DpopConfigurationError` for a request that did not pass
 * `@DpopParEndpoint()`, so a missing decorator never reads as "not bound".
 * @param request the request object of the handler (`@Req()`)
 * @publicApi
 */
export function parJkt(request: object): string | undefined {
  const binding = existingRequestState(request as HttpRequest)?.parJkt;
  if (binding === undefined) {
    throw new DpopConfigurationError('parJkt() needs a request handled by an @DpopParEndpoint() route.');
  }
  return binding.jkt;
}

/**
 * Parameter decorator for {@link parJkt}: `@DpopParJkt() jkt: string | undefined`.
 * @publicApi
 */
export const DpopParJkt = createParamDecorator((_: unknown, context: ExecutionContext) =>
  parJkt(context.switchToHttp().getRequest<object>()),
);
