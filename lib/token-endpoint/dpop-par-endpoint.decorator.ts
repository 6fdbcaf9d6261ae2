import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { DPOP_PAR_ENDPOINT_METADATA } from '../dpop.constants.js';
import type { DpopParEndpointOptions } from './dpop-par-endpoint-options.interface.js';
import { DpopParInterceptor } from './dpop-par.interceptor.js';
import { resolveParEndpointOptions } from './resolve-par-endpoint-options.js';

/**
 * Marks a pushed authorization request endpoint (RFC 9126): applies
 * `DpopParInterceptor`, which checks an optional (or, with `requireProof`,
 * required) DPoP proof and `dpop_jkt` (RFC 9449 §10.1) before the handler runs.
 * Store `@DpopParJkt()` with the `request_uri` and, at the token request, check it
 * with `assertDpopJkt`.
 * @publicApi
 */
export function DpopParEndpoint(options: DpopParEndpointOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(DPOP_PAR_ENDPOINT_METADATA, resolveParEndpointOptions(options)),
    UseInterceptors(DpopParInterceptor),
  );
}
