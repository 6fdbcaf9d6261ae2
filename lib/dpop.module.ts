import { Module, type DynamicModule } from '@nestjs/common';
import { DPOP_OPTIONS } from './dpop.constants.js';
import { DpopConfigurableModule, DPOP_MODULE_OPTIONS, type DPOP_OPTIONS_TYPE } from './dpop.module-definition.js';
import { DpopAuthenticator } from './http/dpop-authenticator.js';
import { DpopEvents } from './observability/dpop-events.js';
import { DpopTelemetry } from './observability/dpop-telemetry.js';
import type { DpopModuleOptions } from './options/dpop-module-options.interface.js';
import { resolveDpopOptions } from './options/resolve-dpop-options.js';
import type { ResolvedDpopOptions } from './options/resolved-dpop-options.interface.js';
import { DpopNonceService } from './proof/dpop-nonce.service.js';
import { DpopVerifierService } from './proof/dpop-verifier.service.js';
import { PROOF_REPLAY_STORE } from './proof/proof-replay-store.js';
import { AccessTokenVerifier, createAccessTokenVerifier } from './access-token/access-token.verifier.js';
import { DpopAccessTokenService } from './access-token/dpop-access-token.service.js';
import { DpopStore } from './storage/dpop-store.js';
import { MemoryDpopStore } from './storage/memory-dpop.store.js';

/** Stands in when no `accessToken` option is set; the guard refuses to start then. */
class UnconfiguredAccessTokenVerifier extends AccessTokenVerifier {
  verify(): Promise<never> {
    return Promise.reject(new Error('DpopModule option "accessToken" is not set.'));
  }
}

/**
 * DPoP for Nest. `DpopModule.forRoot(options)` or
 * `DpopModule.forRootAsync({ imports, inject, useFactory })`, with
 * `isGlobal: true` to make its providers visible everywhere. Options are
 * checked when the app starts: a wrong one fails the boot with a message
 * that names it.
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: DPOP_OPTIONS,
      useFactory: (options: DpopModuleOptions) => resolveDpopOptions(options),
      inject: [DPOP_MODULE_OPTIONS],
    },
    {
      provide: DpopStore,
      useFactory: (options: ResolvedDpopOptions) =>
        options.store ?? new MemoryDpopStore({ maxEntries: options.memoryStore.maxEntries, now: options.now }),
      inject: [DPOP_OPTIONS],
    },
    { provide: PROOF_REPLAY_STORE, useExisting: DpopStore },
    {
      provide: AccessTokenVerifier,
      useFactory: (options: ResolvedDpopOptions) =>
        options.accessToken ? createAccessTokenVerifier(options.accessToken) : new UnconfiguredAccessTokenVerifier(),
      inject: [DPOP_OPTIONS],
    },
    DpopNonceService,
    DpopVerifierService,
    DpopAccessTokenService,
    DpopAuthenticator,
    DpopEvents,
    DpopTelemetry,
  ],
  exports: [
    DPOP_OPTIONS,
    DpopStore,
    DpopNonceService,
    DpopVerifierService,
    AccessTokenVerifier,
    DpopAccessTokenService,
    DpopAuthenticator,
    DpopEvents,
    DpopTelemetry,
  ],
})
export class DpopModule extends DpopConfigurableModule {
  /** Registers the module with `options` (every one optional) and `isGlobal`. */
  static override forRoot(options: typeof DPOP_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
