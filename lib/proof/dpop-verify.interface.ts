import type { JWK } from 'jose';
import type { DpopAlgorithm } from './algorithms.js';

/**
 * The request a DPoP proof is checked against.
 * @publicApi
 */
export interface DpopVerifyRequest {
  /** HTTP method of the request, e.g. `GET` (compared exactly with `htm`). */
  method: string;
  /**
   * Absolute URL of the request as the client addressed it, e.g.
   * `https://api.example.com/orders?id=1`. Query and fragment are ignored;
   * both sides are normalised (RFC 3986 §6.2.2–6.2.3) before comparison.
   */
  url: string;
  /** The access token presented with the proof; demands a matching `ath`. */
  accessToken?: string;
  /**
   * base64url(SHA-256(accessToken)) when the caller already has it (a cached
   * token), so it is not computed again; must be the hash of `accessToken`.
   */
  accessTokenHash?: string;
  /** Thumbprint the proof key must have (the token's `cnf.jkt`). */
  jkt?: string;
  /** Override the module's `nonce.required` for this request. */
  requireNonce?: boolean;
  /** Override the module's `requireAth` for this request. */
  requireAth?: boolean;
}

/** JOSE header of an accepted proof. @publicApi */
export interface DpopProofHeader {
  readonly typ: 'dpop+jwt';
  readonly alg: DpopAlgorithm;
  readonly jwk: Readonly<JWK>;
  readonly [parameter: string]: unknown;
}

/** Claims of an accepted proof. @publicApi */
export interface DpopProofClaims {
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath?: string;
  nonce?: string;
  [claim: string]: unknown;
}

/**
 * What {@link DpopVerifierService.verify} returns for an accepted proof.
 * @publicApi
 */
export interface DpopVerifyResult {
  /** RFC 7638 SHA-256 thumbprint of the proof key: the value for `cnf.jkt`. */
  jkt: string;
  /** The proof's public key, reduced to its required members. */
  jwk: Readonly<JWK>;
  header: DpopProofHeader;
  claims: DpopProofClaims;
}
