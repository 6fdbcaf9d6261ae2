import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';

/**
 * Every default of {@link DpopClientModuleOptions} (kept with the library's other
 * defaults, in `lib/options/dpop-default-options.ts`).
 * @publicApi
 */
export const DPOP_CLIENT_DEFAULTS = DPOP_DEFAULTS.client;
