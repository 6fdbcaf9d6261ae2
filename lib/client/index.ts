export { DpopClientModule } from './dpop-client.module.js';
export { DpopHttpClient, type DpopRequestInit } from './dpop-http.client.js';
export {
  DpopAxiosInterceptor,
  type DpopAxiosInstance,
  type DpopAxiosRequestConfig,
  type DpopAxiosHeaders,
} from './dpop-axios.interceptor.js';
export { DpopProofSigner, dpopHtu, type DpopProofOptions } from './dpop-proof.signer.js';
export { DpopTokenManager } from './dpop-token.manager.js';
export { DpopNonceCache } from './dpop-nonce.cache.js';
export { DpopClientError, type DpopClientErrorCode } from './dpop-client.error.js';
export { DpopClientConfigurationError } from './dpop-client-configuration.error.js';
export { DPOP_CLIENT_DEFAULTS } from './dpop-client.defaults.js';
export { resolveDpopClientOptions, type ResolvedDpopClientOptions } from './dpop-client-options.resolver.js';
export type { DpopClientAlgorithm } from './dpop-client.constants.js';
export type {
  DpopClientModuleOptions,
  DpopClientAuthentication,
  DpopClientKeyOptions,
  DpopClientGeneratedKey,
  DpopClientSuppliedKey,
  DpopClientExternalKey,
  DpopClientJwk,
  DpopClientPrivateKey,
  DpopSignCallback,
  DpopTokenParameters,
} from './dpop-client.options.js';
