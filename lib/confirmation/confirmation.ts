import { ASYMMETRIC_ALGORITHMS } from '../proof/algorithms.js';
import {
  compactDecrypt,
  CompactEncrypt,
  compactVerify,
  importJWK,
  type CompactVerifyResult,
  type CryptoKey,
  type JWK,
} from 'jose';
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

/**
 * A `cnf` that cannot be used: malformed, ambiguous, or of a method the
 * recipient cannot resolve.
 * @publicApi
 */
export class ConfirmationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfirmationError';
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_MEMBER_LENGTH = 16_384;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_MEMBER_LENGTH) {
    throw new ConfirmationError(`cnf.${name} must be a non-empty string`);
  }
  return value;
}

/** The public members of a JWK; refuses private and symmetric keys. */
export function publicJwk(jwk: unknown): JWK {
  if (!isObject(jwk) || typeof jwk.kty !== 'string') throw new ConfirmationError('cnf.jwk must be a JWK object');
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((member) => member in jwk)) {
    throw new ConfirmationError('cnf.jwk must be a public key');
  }
  const members: Record<string, string[]> = { EC: ['crv', 'x', 'y'], RSA: ['e', 'n'], OKP: ['crv', 'x'] };
  const required = members[jwk.kty];
  if (!required) throw new ConfirmationError('cnf.jwk has an unsupported key type');
  const result: Record<string, string> = { kty: jwk.kty };
  for (const member of required) result[member] = boundedString(jwk[member], `jwk.${member}`);
  if (typeof jwk.kid === 'string') result.kid = jwk.kid;
  return result as JWK;
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
      if (!/^[A-Za-z0-9_-]{43}$/.test(jkt))
        throw new ConfirmationError('cnf.jkt must be a base64url SHA-256 thumbprint');
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
function defaultKeyAlg(key: unknown): string {
  const type =
    isObject(key) && typeof key.kty === 'string'
      ? key.kty
      : ((key as KeyObject).asymmetricKeyType ?? (key as CryptoKey).algorithm?.name);
  return /^rsa/i.test(String(type)) ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
}

/** A confirmation key after resolution. @publicApi */
export type ConfirmationKey = { kind: 'public'; jwk: JWK; jkt: string } | { kind: 'symmetric'; key: Uint8Array };

/** How a recipient resolves the methods that point elsewhere. @publicApi */
export interface ConfirmationResolvers {
  /** Resolves `cnf.kid` (RFC 7800 §3.4) to a public JWK, or undefined when unknown. */
  resolveKid?: (kid: string) => Promise<JWK | undefined> | JWK | undefined;
  /** Fetches the JWK set of `cnf.jku` (RFC 7800 §3.5); see {@link JkuFetcher}. */
  fetchJwks?: (url: URL) => Promise<{ keys: unknown[] }>;
  /** Private keys to decrypt `cnf.jwe` with (RFC 7800 §3.3). */
  decryptionKeys?: (CryptoKey | KeyObject | JWK)[];
}

/**
 * Resolves a parsed `cnf` to the key it confirms: a public key (with its
 * thumbprint) or, for `jwe`, the decrypted symmetric key.
 * @publicApi
 */
export async function resolveConfirmation(
  cnf: ParsedConfirmation,
  resolvers: ConfirmationResolvers = {},
): Promise<ConfirmationKey | { kind: 'thumbprint'; jkt: string }> {
  switch (cnf.method) {
    case 'jkt':
      return { kind: 'thumbprint', jkt: cnf.jkt };
    case 'jwk':
      return { kind: 'public', jwk: cnf.jwk, jkt: await jwkThumbprint(cnf.jwk) };
    case 'kid': {
      const found = resolvers.resolveKid ? await resolvers.resolveKid(cnf.kid) : undefined;
      if (!found) throw new ConfirmationError('cnf.kid does not name a known key');
      const jwk = publicJwk(found);
      return { kind: 'public', jwk, jkt: await jwkThumbprint(jwk) };
    }
    case 'jku': {
      if (!resolvers.fetchJwks) throw new ConfirmationError('cnf.jku is not accepted here');
      const { keys } = await resolvers.fetchJwks(cnf.jku);
      const candidates = cnf.kid === undefined ? keys : keys.filter((key) => isObject(key) && key.kid === cnf.kid);
      if (candidates.length !== 1) {
        throw new ConfirmationError(
          cnf.kid === undefined
            ? 'cnf.jku set has several keys and cnf has no kid'
            : 'cnf.kid is not in the cnf.jku set',
        );
      }
      const jwk = publicJwk(candidates[0]);
      return { kind: 'public', jwk, jkt: await jwkThumbprint(jwk) };
    }
    case 'jwe': {
      for (const key of resolvers.decryptionKeys ?? []) {
        try {
          const decryptionKey =
            'kty' in key ? await importJWK(key as JWK, (key as JWK).alg ?? defaultKeyAlg(key)) : key;
          const { plaintext } = await compactDecrypt(cnf.jwe, decryptionKey as CryptoKey);
          const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
          if (!isObject(jwk) || jwk.kty !== 'oct' || typeof jwk.k !== 'string') break;
          return { kind: 'symmetric', key: new Uint8Array(Buffer.from(jwk.k, 'base64url')) };
        } catch {
          // try the next key
        }
      }
      throw new ConfirmationError('cnf.jwe cannot be decrypted with the configured keys');
    }
  }
}

/**
 * Verifies a presenter's proof of possession: a compact JWS over a
 * challenge, signed with the confirmed key (HS256 for a symmetric key from
 * `jwe`; the key's algorithm for a public key).
 * @publicApi
 */
export async function verifyPossession(
  jws: string,
  key: ConfirmationKey,
  options: { algorithms?: string[] } = {},
): Promise<CompactVerifyResult> {
  if (key.kind === 'symmetric') {
    return compactVerify(jws, key.key, { algorithms: options.algorithms ?? ['HS256', 'HS384', 'HS512'] });
  }
  return compactVerify(jws, async (header) => importJWK(key.jwk, header.alg), {
    algorithms: options.algorithms ?? ASYMMETRIC_ALGORITHMS,
  });
}
