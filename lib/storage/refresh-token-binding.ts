import { createHash } from 'node:crypto';

/**
 * A refresh token's key binding (RFC 9449 §5): the token is stored only as
 * a hash.
 * @publicApi
 */
export interface RefreshTokenBinding {
  /** `hashRefreshToken(refreshToken)`: base64url SHA-256, 43 characters. */
  tokenHash: string;
  /** Thumbprint of the key the refresh token is bound to. */
  jkt: string;
  /** The client the token was issued to. */
  clientId: string;
  /** When the binding (and the refresh token) expires, in ms since the epoch. */
  expiresAt: number;
}

/**
 * The hash a refresh token is stored under (base64url SHA-256): stores keep
 * this, never the token.
 * @publicApi
 */
export function hashRefreshToken(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url');
}
