/** `nestjs-dpop/terminus`: a `@nestjs/terminus` health indicator for the DPoP replay store. */
export { DpopStoreHealthIndicator, type DpopStoreHealthOptions } from './dpop-store.health-indicator.js';
