import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { DPOP_TOKEN_ENDPOINT_METADATA } from '../dpop.constants.js';
import type { DpopTokenEndpointOptions } from './dpop-token-endpoint-options.interface.js';
import { DpopTokenInterceptor } from './dpop-token.interceptor.js';
import { resolveTokenEndpointOptions } from './resolve-token-endpoint-options.js';

/**
 * Marks an OAuth token endpoint handler: applies `DpopTokenInterceptor` so the
 * tokens it issues are bound to the DPoP proof key (RFC 9449 §5).
 * @publicApi
 */
export function DpopTokenEndpoint(options: DpopTokenEndpointOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(DPOP_TOKEN_ENDPOINT_METADATA, resolveTokenEndpointOptions(options)),
    UseInterceptors(DpopTokenInterceptor),
  );
}
