import { CompactEncrypt, importJWK, type CryptoKey, type JWK } from 'jose';
import { ConfirmationError } from '../dpop.errors.js';
import { isObject } from '../internal/json.js';
import { BASE64URL_SHA256 } from '../internal/patterns.js';
import { publicKeyOf } from '../proof/jwk-policy.js';
import type { KeyObject } from 'node:crypto';
import { jwkThumbprint } from '../proof/jwk-thumbprint.js';

/**
 * The `cnf` claim of RFC 7800 §3.1, with RFC 9449's `jkt`.
 * @publicApi
 */
export interface Confirmation {
  /** RFC 9449 §6: SHA-256 JWK thumbprint of the key. */
  jkt?: string;
  /** RFC 7800 §3.2: the public key itself. */
  jwk?: JWK;
  /** RFC 7800 §3.3: a JWE carrying an (encrypted) symmetric key as a JWK. */
  jwe?: string;
  /** RFC 7800 §3.4: the key's identifier, resolved by the recipient. */
  kid?: string;
  /** RFC 7800 §3.5: an HTTPS URL of a JWK set holding the key. */
  jku?: string;
  [member: string]: unknown;
}

/**
 * A `cnf` after parsing: one method, with what it carries.
 * @publicApi
 */
export type ParsedConfirmation =
  | { method: 'jkt'; jkt: string }
  | { method: 'jwk'; jwk: JWK }
  | { method: 'jwe'; jwe: string }
  | { method: 'kid'; kid: string }
  | { method: 'jku'; jku: URL; kid?: string };

/** Longest `cnf` member accepted (a `jwe`, a URL, a `kid`). */
const MAX_MEMBER_LENGTH = 16_384;

function boundedString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_MEMBER_LENGTH) {
    throw new ConfirmationError(`cnf.${name} must be a non-empty string`);
  }
  return value;
}

/** The public members of a JWK, by the library's one set of public-key rules; keeps `kid`. @internal */
export function publicJwk(jwk: unknown, member = 'jwk'): JWK {
  const key = publicKeyOf(jwk, { keepKid: true });
  if ('jwk' in key) return key.jwk;
  const problems = {
    not_a_jwk: 'must be a JWK object',
    private: 'must be a public key',
    unsupported_type: 'has an unsupported key type',
    wrong_type: 'has the wrong key type',
    malformed: 'is not a valid public key',
  } as const;
  throw new ConfirmationError(`cnf.${member} ${problems[key.problem]}`);
}

/**
 * Parses a `cnf` claim (RFC 7800 §3.1): exactly one of `jkt`, `jwk`, `jwe`,
 * `jku` (a `kid` may go with `jku` to pick the key), or a `kid` alone.
 * Unknown members are ignored.
 * @publicApi
 */
export function parseConfirmation(cnf: unknown): ParsedConfirmation {
  if (!isObject(cnf)) throw new ConfirmationError('cnf must be a JSON object');
  const methods = (['jkt', 'jwk', 'jwe', 'jku'] as const).filter((name) => cnf[name] !== undefined);
  if (methods.length > 1)
    throw new ConfirmationError(`cnf has more than one confirmation method (${methods.join(', ')})`);
  const kid = cnf.kid === undefined ? undefined : boundedString(cnf.kid, 'kid');
  switch (methods[0]) {
    case 'jkt': {
      const jkt = boundedString(cnf.jkt, 'jkt');
      if (!BASE64URL_SHA256.test(jkt)) throw new ConfirmationError('cnf.jkt must be a base64url SHA-256 thumbprint');
      return { method: 'jkt', jkt };
    }
    case 'jwk':
      return { method: 'jwk', jwk: publicJwk(cnf.jwk) };
    case 'jwe':
      return { method: 'jwe', jwe: boundedString(cnf.jwe, 'jwe') };
    case 'jku': {
      let url: URL;
      try {
        url = new URL(boundedString(cnf.jku, 'jku'));
      } catch {
        throw new ConfirmationError('cnf.jku must be a URL');
      }
      if (url.protocol !== 'https:') throw new ConfirmationError('cnf.jku must be an https URL');
      return kid === undefined ? { method: 'jku', jku: url } : { method: 'jku', jku: url, kid };
    }
    default:
      if (kid !== undefined) return { method: 'kid', kid };
      throw new ConfirmationError('cnf has no confirmation method');
  }
}

/** What an issuer can bind a token to. @publicApi */
export type ConfirmationInput =
  | { jkt: string }
  | { jwk: JWK; as?: 'jwk' | 'jkt' }
  | { kid: string }
  | { jku: string; kid?: string }
  | {
      /** A symmetric key to hand the presenter, encrypted to the recipient (RFC 7800 §3.3). */
      symmetricKey: Uint8Array;
      recipientKey: CryptoKey | KeyObject | JWK;
      /** @default 'ECDH-ES+A256KW' for EC/OKP keys, 'RSA-OAEP-256' for RSA */
      alg?: string;
      /** @default 'A256GCM' */
      enc?: string;
    };

/**
 * Makes a `cnf` claim for an issued token (RFC 7800 §3, RFC 9449 §6):
 * `jkt` (the default for a public key, what DPoP uses), `jwk`, `kid`,
 * `jku`, or `jwe` (a symmetric key encrypted to the recipient).
 * @publicApi
 */
export async function createConfirmation(input: ConfirmationInput): Promise<Confirmation> {
  if ('jkt' in input) return parseConfirmation({ jkt: input.jkt }) as { jkt: string } & Confirmation;
  if ('jwk' in input) {
    const jwk = publicJwk(input.jwk);
    return input.as === 'jwk' ? { jwk } : { jkt: await jwkThumbprint(jwk) };
  }
  if ('jku' in input) {
    parseConfirmation({ jku: input.jku, kid: input.kid });
    return input.kid === undefined ? { jku: input.jku } : { jku: input.jku, kid: input.kid };
  }
  if ('kid' in input) return { kid: boundedString(input.kid, 'kid') };
  const alg = input.alg ?? defaultKeyAlg(input.recipientKey);
  const recipient = 'kty' in input.recipientKey ? await importJWK(input.recipientKey as JWK, alg) : input.recipientKey;
  const plaintext = new TextEncoder().encode(
    JSON.stringify({ kty: 'oct', k: Buffer.from(input.symmetricKey).toString('base64url') }),
  );
  const jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg, enc: input.enc ?? 'A256GCM', cty: 'jwk+json' })
    .encrypt(recipient as CryptoKey);
  return { jwe };
}

/** The key-management algorithm that fits a recipient key: RSA-OAEP-256 for RSA, ECDH-ES+A256KW otherwise. */
export function defaultKeyAlg(key: unknown): string {
  const type =
    isObject(key) && typeof key.kty === 'string'
      ? key.kty
      : ((key as KeyObject).asymmetricKeyType ?? (key as CryptoKey).algorithm?.name);
  return /^rsa/i.test(String(type)) ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
}
