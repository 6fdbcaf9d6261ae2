/**
 * Every default of {@link DpopClientModuleOptions}, in one place.
 * @publicApi
 */
export const DPOP_CLIENT_DEFAULTS = {
  key: { generate: 'ES256' },
  discovery: 'auto',
  refreshBeforeExpirySeconds: 30,
  defaultTokenLifetimeSeconds: 60,
  authorizationServerTimeoutMs: 10_000,
  maxNonceOrigins: 1_000,
  maxTokenResponseBytes: 65_536,
  allowInsecureRequests: false,
  followCrossOriginRedirects: false,
} as const;
