// The public API of nestjs-dpop. Optional integrations have their own entries:
// nestjs-dpop/typeorm (TypeOrmDpopStore) and nestjs-dpop/confirmation (RFC 7800 recipients).

// Module and options
export { DpopModule } from './dpop.module.js';
export { InjectDpopOptions, getDpopOptionsToken } from './options/inject-dpop-options.decorator.js';
export type { DpopModuleOptions, DpopNonceOptions } from './options/dpop-module-options.interface.js';
export type {
  ResolvedDpopOptions,
  ResolvedJwtAccessTokenOptions,
  ResolvedIntrospectionAccessTokenOptions,
  ResolvedJkuOptions,
} from './options/resolved-dpop-options.interface.js';

// Errors
export {
  DpopError,
  DpopRequestError,
  DpopCredentialsRequiredError,
  AccessTokenError,
  InsufficientScopeError,
  ConfirmationError,
  DpopProofError,
  DpopUnavailableError,
  DpopStoreUnavailableError,
  DpopConfigurationError,
  type DpopErrorCode,
  type DpopCheck,
} from './dpop.errors.js';

// Proofs
export { DpopVerifierService } from './proof/dpop-verifier.service.js';
export { DpopNonceService } from './proof/dpop-nonce.service.js';
export { DPOP_PROOF_TYPE, type DpopAlgorithm } from './proof/algorithms.js';
export { jwkThumbprint } from './proof/jwk-thumbprint.js';
export { normalizeHtu } from './proof/htu.js';
export type {
  DpopVerifyRequest,
  DpopVerifyResult,
  DpopProofHeader,
  DpopProofClaims,
} from './proof/dpop-verify.interface.js';
export { DpopProofContext } from './http/dpop-proof-context.js';

// Resource server
export { DpopGuard } from './resource-server/dpop.guard.js';
export { DpopBound } from './resource-server/dpop-bound.decorator.js';
export { SkipDpop } from './resource-server/skip-dpop.decorator.js';
export { Dpop } from './resource-server/dpop.decorator.js';
export { DpopContext, type DpopBoundOptions } from './http/dpop-context.interface.js';
export { DpopGraphqlError, type DpopGraphqlErrorExtensions } from './resource-server/dpop-graphql.error.js';
export {
  readGraphqlRequest,
  type GraphqlHttpExchange,
  type GraphqlRefusalReason,
} from './resource-server/graphql-request.reader.js';
export { DpopAccessTokenService, type VerifiedAccessToken } from './access-token/dpop-access-token.service.js';
export type {
  AccessTokenClaims,
  AccessTokenOptions,
  JwtAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  CustomAccessTokenOptions,
} from './access-token/access-token.interface.js';
export { createConfirmation, parseConfirmation } from './confirmation/confirmation.js';
export type { Confirmation, ConfirmationInput, ParsedConfirmation } from './confirmation/confirmation.js';
export type { JkuOptions } from './confirmation/jku-fetcher.js';

// Token endpoint
export { DpopTokenInterceptor } from './token-endpoint/dpop-token.interceptor.js';
export { DpopTokenEndpoint } from './token-endpoint/dpop-token-endpoint.decorator.js';
export type { DpopTokenEndpointOptions } from './token-endpoint/dpop-token-endpoint-options.interface.js';
export { parseDpopJkt, assertDpopJkt } from './token-endpoint/dpop-jkt.js';

// Pushed authorization requests (RFC 9126) with DPoP (RFC 9449 §10.1)
export { DpopParInterceptor } from './token-endpoint/dpop-par.interceptor.js';
export { DpopParEndpoint } from './token-endpoint/dpop-par-endpoint.decorator.js';
export type { DpopParEndpointOptions } from './token-endpoint/dpop-par-endpoint-options.interface.js';
export { parJkt, DpopParJkt } from './token-endpoint/par-jkt.js';

// Storage
export { DpopStore } from './storage/dpop-store.js';
export type { ProofRecord } from './proof/proof-replay-store.js';
export { MemoryDpopStore, type MemoryDpopStoreOptions } from './storage/memory-dpop.store.js';
export { hashRefreshToken, type RefreshTokenBinding } from './storage/refresh-token-binding.js';

// Authorization responses (x_post, form_post)
export {
  parseResponseType,
  resolveResponseMode,
  renderAuthorizationResponse,
  AuthorizationRequestError,
  AuthorizationResponseEndpoint,
  type ParsedResponseType,
  type ResponseMode,
  type AuthorizationResponse,
  type RenderedAuthorizationResponse,
} from './authorization-response/index.js';

// OpenAPI (with @nestjs/swagger, which stays optional)
export {
  addDpopSecurityScheme,
  DPOP_SECURITY_SCHEME,
  BEARER_SECURITY_SCHEME,
  type OpenApiDocumentBuilder,
} from './openapi/dpop-openapi.js';

// Metrics (OpenTelemetry) and events
export {
  DpopEvents,
  type DpopEvent,
  type DpopEventListener,
  type DpopRefusalReason,
} from './observability/dpop-events.js';
export { DPOP_METER_NAME } from './observability/dpop-telemetry.js';
