import type { JWK } from 'jose';
import type { DpopAlgorithm } from '../proof/algorithms.js';
import type {
  CustomAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  JwtAccessTokenOptions,
} from '../access-token/access-token.interface.js';
import type { JkuOptions } from '../confirmation/jku-fetcher.js';
import type { DpopStore } from '../storage/dpop-store.js';

type Defaulted<T, K extends keyof T> = Readonly<Omit<T, K> & Required<Pick<T, K>>>;

/** JWT access-token options with every default filled in. @publicApi */
export type ResolvedJwtAccessTokenOptions = Defaulted<
  JwtAccessTokenOptions,
  'algorithms' | 'clockTolerance' | 'jwksTimeoutMs'
>;
/** Introspection options with every default filled in. @publicApi */
export type ResolvedIntrospectionAccessTokenOptions = Defaulted<
  IntrospectionAccessTokenOptions,
  'timeoutMs' | 'maxBytes' | 'cacheSeconds'
>;
/** `jku` options with every default filled in. @publicApi */
export type ResolvedJkuOptions = Defaulted<JkuOptions, 'timeoutMs' | 'maxBytes' | 'cacheSeconds'>;

/**
 * The module's options after defaults are merged and every value is checked:
 * what `@InjectDpopOptions()` injects. Read-only, nested values included.
 * @publicApi
 */
export interface ResolvedDpopOptions {
  readonly algorithms: readonly DpopAlgorithm[];
  readonly maxProofLength: number;
  readonly maxJtiLength: number;
  readonly maxProofAge: number;
  readonly maxClockSkew: number;
  readonly requireAth: boolean;
  readonly nonce: {
    readonly required: boolean;
    readonly secret: Uint8Array;
    /** True when no secret was configured and a random one was made. */
    readonly generatedSecret: boolean;
    readonly stepSeconds: number;
    readonly acceptedSteps: number;
  };
  readonly keyCacheSize: number;
  readonly urlCacheSize: number;
  /** The store given in the options; the module provides a memory store when this is undefined. */
  readonly store?: DpopStore;
  readonly memoryStore: { readonly maxEntries: number };
  readonly now: () => number;
  readonly accessToken?:
    ResolvedJwtAccessTokenOptions | ResolvedIntrospectionAccessTokenOptions | CustomAccessTokenOptions;
  readonly accessTokenCache: { readonly maxEntries: number; readonly maxTtlSeconds: number };
  readonly maxAccessTokenLength: number;
  /** `publicUrl` without a trailing slash. */
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  /** `allowedHosts`, lower-cased; undefined: any valid host. */
  readonly allowedHosts?: readonly string[];
  readonly protectAllRoutes: boolean;
  readonly yieldToEventLoop: boolean;
  readonly resolveKid?: (kid: string) => Promise<JWK | undefined> | JWK | undefined;
  readonly jku?: ResolvedJkuOptions;
}
