import { Module } from '@nestjs/common';
import { DpopAxiosInterceptor } from './dpop-axios.interceptor.js';
import { createClientAuthentication } from './dpop-client-authentication.factory.js';
import { DPOP_CLIENT_OPTIONS } from './dpop-client.constants.js';
import { DpopClientConfigurableModule, DPOP_CLIENT_MODULE_OPTIONS } from './dpop-client.module-definition.js';
import type { DpopClientModuleOptions } from './dpop-client.options.js';
import { resolveDpopClientOptions, type ResolvedDpopClientOptions } from './dpop-client-options.resolver.js';
import { DpopHttpClient } from './dpop-http.client.js';
import { DpopNonceCache } from './dpop-nonce.cache.js';
import { DpopProofSigner } from './dpop-proof.signer.js';
import { DPOP_CLIENT_AUTH, DpopTokenManager } from './dpop-token.manager.js';

/**
 * A DPoP client for services that call DPoP-protected APIs:
 * `DpopClientModule.forRoot(options)` or `forRootAsync({ imports, inject,
 * useFactory })`, with `isGlobal: true` to make {@link DpopHttpClient}
 * injectable everywhere. Options and keys are checked when the app starts;
 * the authorization server is contacted on the first call, not at start-up.
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: DPOP_CLIENT_OPTIONS,
      useFactory: (options: DpopClientModuleOptions) => resolveDpopClientOptions(options),
      inject: [DPOP_CLIENT_MODULE_OPTIONS],
    },
    {
      provide: DpopProofSigner,
      useFactory: (options: ResolvedDpopClientOptions) => DpopProofSigner.create(options.key),
      inject: [DPOP_CLIENT_OPTIONS],
    },
    {
      provide: DPOP_CLIENT_AUTH,
      useFactory: (options: ResolvedDpopClientOptions) => createClientAuthentication(options.clientAuthentication),
      inject: [DPOP_CLIENT_OPTIONS],
    },
    {
      provide: DpopNonceCache,
      useFactory: (options: ResolvedDpopClientOptions) => new DpopNonceCache(options.maxNonceOrigins),
      inject: [DPOP_CLIENT_OPTIONS],
    },
    DpopTokenManager,
    DpopHttpClient,
    DpopAxiosInterceptor,
  ],
  exports: [DpopHttpClient, DpopAxiosInterceptor, DpopProofSigner, DpopTokenManager],
})
export class DpopClientModule extends DpopClientConfigurableModule {}
