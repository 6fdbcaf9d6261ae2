import type { JWK } from 'jose';
import { isObject } from '../internal/json.js';

/** RSA keys shorter than this are refused (RFC 7518 §3.3, §3.5). @internal */
export const MIN_RSA_MODULUS_BITS = 2048;
/** RSA keys longer than this are refused: they cost CPU and no client needs them. @internal */
export const MAX_RSA_MODULUS_BITS = 8192;

/** JWK members that only a private or symmetric key has (RFC 7518 §6). @internal */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** The members of a public key that RFC 7638 hashes, by key type. */
const PUBLIC_MEMBERS = { EC: ['crv', 'x', 'y'], RSA: ['e', 'n'], OKP: ['crv', 'x'] } as const;
/** Byte length of each coordinate, where the curve fixes it. */
const MEMBER_BYTES: Readonly<Record<string, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  Ed25519: 32,
  Ed448: 57,
  X25519: 32,
  X448: 56,
};

/** Why a JWK is not an acceptable public key. @internal */
export type JwkProblem = 'not_a_jwk' | 'private' | 'unsupported_type' | 'wrong_type' | 'malformed';

/**
 * True when `value` is the one canonical base64url spelling of its bytes (no
 * padding, no leading zero byte for an RSA integer, the exact length for a curve
 * coordinate), so one key has exactly one thumbprint.
 */
function canonicalMember(value: string, member: string, crv: unknown): boolean {
  if (value.length > 2048) return false;
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length === 0 || bytes.toString('base64url') !== value) return false;
  if (member === 'n' || member === 'e') return bytes[0] !== 0;
  const expected = typeof crv === 'string' ? MEMBER_BYTES[crv] : undefined;
  return expected === undefined || bytes.length === expected;
}

/**
 * The public-key rules of the library, in one place, for DPoP proof keys and
 * RFC 7800 `cnf.jwk`/`kid`/`jku` keys alike: a JSON object, no private or
 * symmetric member, a key type with a thumbprint (EC, RSA, OKP), optionally the
 * type and curve an algorithm needs, every required member a canonical base64url
 * string (`crv` a string). Returns the key reduced to its RFC 7638 members (plus
 * `kid` when `keepKid`), or the problem.
 * @internal
 */
export function publicKeyOf(
  jwk: unknown,
  expected: { kty?: string; crv?: string; keepKid?: boolean } = {},
): { jwk: JWK } | { problem: JwkProblem } {
  if (!isObject(jwk) || typeof jwk.kty !== 'string') return { problem: 'not_a_jwk' };
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((member) => member in jwk)) return { problem: 'private' };
  if (
    (expected.kty !== undefined && jwk.kty !== expected.kty) ||
    (expected.crv !== undefined && jwk.crv !== expected.crv)
  ) {
    return { problem: 'wrong_type' };
  }
  const members = PUBLIC_MEMBERS[jwk.kty as keyof typeof PUBLIC_MEMBERS] as readonly string[] | undefined;
  if (!members) return { problem: 'unsupported_type' };
  const result: Record<string, string> = { kty: jwk.kty };
  for (const member of members) {
    const value = jwk[member];
    if (typeof value !== 'string' || (member !== 'crv' && !canonicalMember(value, member, jwk.crv))) {
      return { problem: 'malformed' };
    }
    result[member] = value;
  }
  if (expected.keepKid && typeof jwk.kid === 'string') result.kid = jwk.kid;
  return { jwk: result as JWK };
}
