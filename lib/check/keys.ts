import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import type { ProofKey } from './proofs.js';
import { SetupError } from './errors.js';

/** The members of a public JWK (RFC 7517/7518/8037); nothing private, no `kid`, `alg` or `use`. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** The public members of `jwk`, in a fixed order. */
export function publicJwkOf(jwk: JWK): JWK {
  const result: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (typeof jwk[member] === 'string') result[member] = jwk[member];
  return result;
}

const EC_ALGS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const NODE_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The JWS algorithm for a key: its own `alg`, else ES256/384/512 by curve, EdDSA for Ed25519, RS256 for RSA. */
function algOf(kty: unknown, crv: unknown, alg: unknown): string | undefined {
  if (typeof alg === 'string') return alg;
  if (kty === 'EC' && typeof crv === 'string') return EC_ALGS[crv];
  if (kty === 'OKP' && crv === 'Ed25519') return 'EdDSA';
  if (kty === 'RSA') return 'RS256';
  return undefined;
}

function readFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SetupError(
      `${flag} ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
}

function parseJwk(text: string, flag: string, file: string): JWK {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new SetupError(`${flag} ${file}: not JSON; give a private JWK (or, for --private-key, a PKCS#8 PEM).`);
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JWK).kty !== 'string') {
    throw new SetupError(`${flag} ${file}: not a JWK (no "kty").`);
  }
  if (typeof (jwk as JWK).d !== 'string') throw new SetupError(`${flag} ${file}: a public key; give the private JWK.`);
  return jwk as JWK;
}

/** A private key of a JWK or PKCS#8 PEM file, and its JWS algorithm. Never quotes the key in an error. */
export async function loadPrivateKey(file: string, flag: string): Promise<{ alg: string; key: CryptoKey; jwk?: JWK }> {
  const text = readFile(file, flag);
  if (text.includes('-----BEGIN')) {
    let alg: string | undefined;
    try {
      const details = createPrivateKey(text);
      const type = details.asymmetricKeyType;
      const curve = NODE_CURVES[details.asymmetricKeyDetails?.namedCurve ?? ''];
      alg =
        type === 'ec' ? algOf('EC', curve, undefined) : type === 'ed25519' ? 'EdDSA' : type === 'rsa' ? 'RS256' : '';
      if (!alg) throw new Error('unsupported');
      const pkcs8 = details.export({ type: 'pkcs8', format: 'pem' }).toString();
      return { alg, key: await importPKCS8(pkcs8, alg) };
    } catch {
      throw new SetupError(
        `${flag} ${file}: not a usable private key (PKCS#8 PEM of an EC P-256/384/521, RSA or Ed25519 key).`,
      );
    }
  }
  const jwk = parseJwk(text, flag, file);
  const alg = algOf(jwk.kty, jwk.crv, jwk.alg);
  if (!alg) throw new SetupError(`${flag} ${file}: cannot tell the algorithm; add "alg" (e.g. "ES256") to the JWK.`);
  try {
    return { alg, key: (await importJWK(jwk, alg)) as CryptoKey, jwk };
  } catch {
    throw new SetupError(`${flag} ${file}: the JWK could not be imported for ${alg}.`);
  }
}

/** The DPoP key of `--key` (a private JWK file): what the given token is bound to. */
export async function loadProofKey(file: string): Promise<ProofKey> {
  const { alg, key, jwk } = await loadPrivateKey(file, '--key');
  if (!jwk) throw new SetupError(`--key ${file}: give the private key as a JWK (JSON), not PEM.`);
  return { alg, privateKey: key, publicJwk: publicJwkOf(jwk) };
}

/** A fresh ES256 key pair for proofs: the key the obtained token is bound to, or "another key". */
export async function freshProofKey(): Promise<ProofKey & { publicKey: CryptoKey }> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return {
    alg: 'ES256',
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk: publicJwkOf(await exportJWK(pair.publicKey)),
  };
}
