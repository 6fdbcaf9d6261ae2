/**
 * What the client needs to know to sign a DPoP proof with each JWS algorithm
 * it supports: the same asymmetric algorithms the resource-server side of
 * this library accepts. Kept here so `nestjs-dpop/client` stands alone.
 * @internal
 */
export const CLIENT_ALGORITHMS = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', signatureLength: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', signatureLength: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512', signatureLength: 132 },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
} as const satisfies Record<string, ClientAlgorithmProfile>;

/** @internal */
export interface ClientAlgorithmProfile {
  kty: 'EC' | 'RSA' | 'OKP';
  crv?: string;
  /** Digest for node:crypto; absent for EdDSA, which hashes internally. */
  hash?: 'sha256' | 'sha384' | 'sha512';
  /** IEEE P1363 signature length for ECDSA. */
  signatureLength?: number;
  /** RSASSA-PSS (salt length = digest length) instead of PKCS#1 v1.5. */
  pss?: boolean;
}

/**
 * A JWS algorithm the DPoP client can sign proofs with.
 * @publicApi
 */
export type DpopClientAlgorithm = keyof typeof CLIENT_ALGORITHMS;

/** Every algorithm above, in order. @internal */
export const CLIENT_ALGORITHM_NAMES = Object.keys(CLIENT_ALGORITHMS) as DpopClientAlgorithm[];

/** The only JWK members a proof's `jwk` header carries (RFC 9449 §4.2: no private key). @internal */
export const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** RSA keys shorter than this are refused (the server side refuses them too). @internal */
export const MIN_RSA_MODULUS_BITS = 2048;

/** Injection token of the resolved, validated client options. @internal */
export const DPOP_CLIENT_OPTIONS = Symbol('DPOP_CLIENT_OPTIONS');

/** Logger context of the client. @internal */
export const DPOP_CLIENT_LOGGER_CONTEXT = 'DpopClientModule';
