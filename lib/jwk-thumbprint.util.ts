import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The RFC 7638 JWK SHA-256 thumbprint of a public key, base64url-encoded:
 * the value of `cnf.jkt` and of `dpop_jkt` (RFC 9449 §6.1, §10).
 * @publicApi
 */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * The hash a refresh token is stored under (base64url SHA-256): stores keep
 * this, never the token.
 * @publicApi
 */
export function hashRefreshToken(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url');
}
