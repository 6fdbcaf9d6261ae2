import { compactDecrypt, compactVerify, importJWK, type CompactVerifyResult, type CryptoKey, type JWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { ConfirmationError } from '../dpop.errors.js';
import { isObject } from '../internal/json.js';
import { ASYMMETRIC_ALGORITHMS } from '../proof/algorithms.js';
import { jwkThumbprint } from '../proof/jwk-thumbprint.js';
import { defaultKeyAlg, publicJwk, type ParsedConfirmation } from './confirmation.js';

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
      const jwk = publicJwk(found, 'kid key');
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
      const jwk = publicJwk(candidates[0], 'jku key');
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
