export { DpopModule } from './dpop.module.js';
export { DpopVerifierService } from './dpop-verifier.service.js';
export { DpopNonceService } from './dpop-nonce.service.js';
export { DpopStore, MemoryDpopStore, type MemoryDpopStoreOptions } from './dpop.store.js';
export {
  DpopProofError,
  DpopStoreUnavailableError,
  DpopConfigurationError,
  type DpopErrorCode,
  type DpopCheck,
} from './dpop.errors.js';
export { DPOP_DEFAULTS, resolveDpopOptions, type ResolvedDpopOptions } from './dpop.options.js';
export { DPOP_PROOF_TYPE, type DpopAlgorithm } from './dpop.constants.js';
export { jwkThumbprint } from './jwk-thumbprint.util.js';
export { normalizeHtu } from './htu.util.js';
export type { DpopModuleOptions, DpopNonceOptions } from './interfaces/dpop-module-options.interface.js';
export type {
  DpopVerifyRequest,
  DpopVerifyResult,
  DpopProofHeader,
  DpopProofClaims,
} from './interfaces/dpop-verify.interface.js';
