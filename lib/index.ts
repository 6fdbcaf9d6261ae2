export { DpopModule } from './dpop.module.js';
export { DpopVerifierService } from './proof/dpop-verifier.service.js';
export { DpopNonceService } from './proof/dpop-nonce.service.js';
export { DpopStore } from './storage/dpop-store.js';
export { MemoryDpopStore, type MemoryDpopStoreOptions } from './storage/memory-dpop.store.js';
export { hashRefreshToken, type RefreshTokenBinding } from './storage/refresh-token-binding.js';
export {
  DpopProofError,
  DpopStoreUnavailableError,
  DpopConfigurationError,
  type DpopErrorCode,
  type DpopCheck,
} from './dpop.errors.js';
export { DPOP_DEFAULTS, resolveDpopOptions, type ResolvedDpopOptions } from './options/resolve-dpop-options.js';
export { DPOP_PROOF_TYPE, type DpopAlgorithm } from './proof/algorithms.js';
export { jwkThumbprint } from './proof/jwk-thumbprint.js';
export { normalizeHtu } from './proof/htu.js';
export type { DpopModuleOptions, DpopNonceOptions } from './options/dpop-module-options.interface.js';
export type {
  DpopVerifyRequest,
  DpopVerifyResult,
  DpopProofHeader,
  DpopProofClaims,
} from './proof/dpop-verify.interface.js';
export { DpopGuard } from './resource-server/dpop.guard.js';
export { DpopBound } from './resource-server/dpop-bound.decorator.js';
export { Dpop } from './resource-server/dpop.decorator.js';
export type { DpopContext, DpopBoundOptions } from './resource-server/dpop-context.interface.js';
export { AccessTokenVerifier, AccessTokenError } from './resource-server/access-token/access-token.verifier.js';
export {
  DpopAccessTokenService,
  type VerifiedAccessToken,
} from './resource-server/access-token/dpop-access-token.service.js';
export type {
  AccessTokenClaims,
  AccessTokenOptions,
  JwtAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  CustomAccessTokenOptions,
} from './resource-server/access-token/access-token.interface.js';
export {
  createConfirmation,
  parseConfirmation,
  resolveConfirmation,
  verifyPossession,
  ConfirmationError,
  type Confirmation,
  type ConfirmationInput,
  type ConfirmationKey,
  type ConfirmationResolvers,
  type ParsedConfirmation,
} from './confirmation/confirmation.js';
export type { JkuOptions } from './confirmation/jku-fetcher.js';
export { DpopTokenInterceptor } from './token-endpoint/dpop-token.interceptor.js';
export { DpopTokenEndpoint } from './token-endpoint/dpop-token-endpoint.decorator.js';
export type { DpopTokenEndpointOptions } from './token-endpoint/dpop-token-endpoint-options.interface.js';
export { parseDpopJkt, assertDpopJkt } from './token-endpoint/dpop-jkt.js';
export * from './authorization-response/index.js';
