export { DpopModule } from './dpop.module.js';
export { DpopVerifierService } from './dpop-verifier.service.js';
export { DpopNonceService } from './dpop-nonce.service.js';
export { DpopStore, MemoryDpopStore, type MemoryDpopStoreOptions, type RefreshTokenBinding } from './dpop.store.js';
export {
  DpopProofError,
  DpopStoreUnavailableError,
  DpopConfigurationError,
  type DpopErrorCode,
  type DpopCheck,
} from './dpop.errors.js';
export { DPOP_DEFAULTS, resolveDpopOptions, type ResolvedDpopOptions } from './dpop.options.js';
export { DPOP_PROOF_TYPE, type DpopAlgorithm } from './dpop.constants.js';
export { jwkThumbprint, hashRefreshToken } from './jwk-thumbprint.util.js';
export { normalizeHtu } from './htu.util.js';
export type { DpopModuleOptions, DpopNonceOptions } from './interfaces/dpop-module-options.interface.js';
export type {
  DpopVerifyRequest,
  DpopVerifyResult,
  DpopProofHeader,
  DpopProofClaims,
} from './interfaces/dpop-verify.interface.js';
export { DpopGuard } from './dpop.guard.js';
export { DpopBound } from './dpop-bound.decorator.js';
export { Dpop } from './dpop.decorator.js';
export type { DpopContext, DpopBoundOptions } from './interfaces/dpop-context.interface.js';
export { AccessTokenVerifier, AccessTokenError } from './access-token/access-token.verifier.js';
export { DpopAccessTokenService, type VerifiedAccessToken } from './access-token/dpop-access-token.service.js';
export type {
  AccessTokenClaims,
  AccessTokenOptions,
  JwtAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  CustomAccessTokenOptions,
} from './access-token/access-token.interface.js';
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
export { DpopTokenInterceptor } from './dpop-token.interceptor.js';
export { DpopTokenEndpoint } from './dpop-token-endpoint.decorator.js';
export type { DpopTokenEndpointOptions } from './interfaces/dpop-token-endpoint-options.interface.js';
export { parseDpopJkt, assertDpopJkt } from './dpop-jkt.util.js';
export * from './authorization-response/index.js';
