/**
 * A base64url SHA-256 digest without padding (43 characters): an RFC 7638
 * thumbprint (`cnf.jkt`, `dpop_jkt`), a hashed refresh token, a replay key.
 * @internal
 */
export const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
