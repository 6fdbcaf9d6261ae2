/**
 * Injection token of the resolved, validated options. Its description is what Nest prints when a provider
 * cannot resolve it (a `DpopGuard` subclass, `DpopTokenInterceptor` in a module that cannot see DpopModule).
 * @internal
 */
export const DPOP_OPTIONS = Symbol(
  'DpopModule options: import DpopModule.forRoot(...) in this module or register it with isGlobal: true',
);

/** Logger context used by every part of the module. @internal */
export const DPOP_LOGGER_CONTEXT = 'DpopModule';

/** Metadata key of `@DpopBound()`. @internal */
export const DPOP_BOUND_METADATA = 'dpop:bound';

/** Metadata key of `@DpopTokenEndpoint()`. @internal */
export const DPOP_TOKEN_ENDPOINT_METADATA = 'dpop:token-endpoint';

/** Metadata key of `@DpopParEndpoint()`. @internal */
export const DPOP_PAR_ENDPOINT_METADATA = 'dpop:par-endpoint';

/** Metadata key of `@SkipDpop()`. @internal */
export const DPOP_SKIP_METADATA = 'dpop:skip';
