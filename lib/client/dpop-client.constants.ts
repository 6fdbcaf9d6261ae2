import { SUPPORTED_ALGORITHMS, type AlgorithmProfile, type DpopAlgorithm } from '../proof/algorithms.js';

/**
 * What the client needs to know to sign a DPoP proof with each JWS algorithm:
 * the one table of the library (`proof/algorithms.ts`), so the client signs
 * with exactly the algorithms the resource-server side accepts.
 * @internal
 */
export const CLIENT_ALGORITHMS = SUPPORTED_ALGORITHMS;

/** @internal */
export type ClientAlgorithmProfile = AlgorithmProfile;

/**
 * A JWS algorithm the DPoP client can sign proofs with.
 * @publicApi
 */
export type DpopClientAlgorithm = DpopAlgorithm;

/** Every algorithm above, in order. @internal */
export const CLIENT_ALGORITHM_NAMES = Object.keys(CLIENT_ALGORITHMS) as DpopClientAlgorithm[];

/** The only JWK members a proof's `jwk` header carries (RFC 9449 §4.2: no private key). @internal */
export const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** RSA keys shorter than this are refused (the server side refuses them too). @internal */
export { MIN_RSA_MODULUS_BITS } from '../proof/jwk-policy.js';

/** Injection token of the resolved, validated client options. @internal */
export const DPOP_CLIENT_OPTIONS = Symbol('DPOP_CLIENT_OPTIONS');

/** Logger context of the client. @internal */
export const DPOP_CLIENT_LOGGER_CONTEXT = 'DpopClientModule';
