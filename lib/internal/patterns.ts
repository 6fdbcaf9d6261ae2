/**
 * A base64url SHA-256 digest without padding (43 characters): an RFC 7638
 * thumbprint (`cnf.jkt`, `dpop_jkt`), a hashed refresh token, a replay key.
 * @internal
 */
export const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

/** An RFC 6750 §2.1 `b64token` (RFC 9110's token68): the only form an access token is sent in. @internal */
export const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** An RFC 6749 §3.3 `scope-token` (NQCHAR: printable ASCII but space, `"` and a backslash), safe in a quoted string. @internal */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
