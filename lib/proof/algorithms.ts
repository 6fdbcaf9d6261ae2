/**
 * JWS algorithms a DPoP proof may be signed with, and what each needs of the key.
 * Only asymmetric signature algorithms are listed: `none` and every HMAC
 * algorithm are impossible to configure.
 * @internal
 */
export const SUPPORTED_ALGORITHMS = {
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
} as const satisfies Record<string, AlgorithmProfile>;

/** @internal */
export interface AlgorithmProfile {
  kty: 'EC' | 'RSA' | 'OKP';
  crv?: string;
  /** Digest for node:crypto; absent for EdDSA, which hashes internally. */
  hash?: 'sha256' | 'sha384' | 'sha512';
  /** Exact IEEE P1363 signature length for ECDSA. */
  signatureLength?: number;
  /** RSASSA-PSS (salt length = digest length) instead of PKCS#1 v1.5. */
  pss?: boolean;
}

/** A JWS algorithm this library can verify DPoP proofs with. @publicApi */
export type DpopAlgorithm = keyof typeof SUPPORTED_ALGORITHMS;

/** Every asymmetric signature algorithm above, in order. @internal */
export const ASYMMETRIC_ALGORITHMS = Object.keys(SUPPORTED_ALGORITHMS) as DpopAlgorithm[];

/** The `typ` header every DPoP proof carries (RFC 9449 §4.2). @publicApi */
export const DPOP_PROOF_TYPE = 'dpop+jwt';
