import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The RFC 7638 JWK SHA-256 thumbprint of a public key, base64url-encoded:
 * the value of `cnf.jkt` and of `dpop_jkt` (RFC 9449 §6.1, §10).
 * @publicApi
 */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}
