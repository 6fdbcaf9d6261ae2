import {
  constants,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type JsonWebKey,
  type webcrypto,
} from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import {
  CLIENT_ALGORITHMS,
  MIN_RSA_MODULUS_BITS,
  PUBLIC_JWK_MEMBERS,
  type ClientAlgorithmProfile,
  type DpopClientAlgorithm,
} from './dpop-client.constants.js';
import { optionError } from '../internal/assert-options.js';
import type { DpopClientJwk, DpopClientKeyOptions, DpopClientPrivateKey } from './dpop-client.options.js';

/**
 * A DPoP key ready to sign: its algorithm, its public JWK (public members
 * only) and a signing function. The private key, when in the process, is
 * held only inside `sign`'s closure.
 * @internal
 */
export interface DpopSigningKey {
  readonly alg: DpopClientAlgorithm;
  readonly publicJwk: Readonly<DpopClientJwk>;
  sign(data: Buffer): Uint8Array | Promise<Uint8Array>;
}

const NAMED_CURVES: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

const fail = (option: string, problem: string): never => {
  throw optionError('DpopClientModule', option, problem);
};

/** The public members of a JWK, in a fixed order; nothing else (no `d`, no `kid`, no `alg`). @internal */
export function publicMembers(jwk: DpopClientJwk): DpopClientJwk {
  const result: DpopClientJwk = {};
  for (const member of PUBLIC_JWK_MEMBERS) if (typeof jwk[member] === 'string') result[member] = jwk[member];
  return result;
}

/** A node:crypto signing function for `profile` (JWS form: P1363 for ECDSA, PSS salt = digest length). */
function nodeSigner(profile: ClientAlgorithmProfile, key: KeyObject): (data: Buffer) => Buffer {
  if (profile.kty === 'OKP') return (data) => nodeSign(null, data, key);
  if (profile.kty === 'EC') {
    const options = { key, dsaEncoding: 'ieee-p1363' } as const;
    return (data) => nodeSign(profile.hash!, data, options);
  }
  if (profile.pss) {
    const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return (data) => nodeSign(profile.hash!, data, options);
  }
  return (data) => nodeSign(profile.hash!, data, key);
}

function nodeVerifies(profile: ClientAlgorithmProfile, key: KeyObject, data: Buffer, signature: Uint8Array): boolean {
  if (profile.kty === 'OKP') return nodeVerify(null, data, key, signature);
  if (profile.kty === 'EC') return nodeVerify(profile.hash!, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  const padding = profile.pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
  return nodeVerify(profile.hash!, data, { key, padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
}

/** Checks that a key (private or public) is of the type `alg` needs. */
function checkKeyFits(alg: DpopClientAlgorithm, key: KeyObject, option: string): void {
  const profile: ClientAlgorithmProfile = CLIENT_ALGORITHMS[alg];
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    profile.kty === 'EC'
      ? type === 'ec' && details.namedCurve === NAMED_CURVES[profile.crv!]
      : profile.kty === 'OKP'
        ? type === 'ed25519'
        : type === 'rsa';
  if (!fits) fail(option, `is not a key for ${alg} (got a ${type ?? 'non-asymmetric'} key)`);
  if (profile.kty === 'RSA' && (details.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) {
    fail(option, `is an RSA key shorter than ${MIN_RSA_MODULUS_BITS} bits; servers refuse it`);
  }
}

function toKeyObject(privateKey: DpopClientPrivateKey): KeyObject {
  try {
    if (privateKey instanceof KeyObject) return privateKey;
    if (typeof privateKey === 'string') return createPrivateKey(privateKey);
    if (typeof privateKey === 'object' && 'algorithm' in privateKey && 'usages' in privateKey) {
      return KeyObject.from(privateKey as webcrypto.CryptoKey);
    }
    return createPrivateKey({ key: privateKey as JsonWebKey, format: 'jwk' });
  } catch {
    // The cause is not attached: it could quote key material.
    return fail('key.privateKey', 'could not be read: give a CryptoKey, KeyObject, private JWK or PKCS#8 PEM');
  }
}

async function generated(alg: DpopClientAlgorithm): Promise<DpopSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: false,
    ...(CLIENT_ALGORITHMS[alg].kty === 'RSA' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  // node:crypto signs several times faster than WebCrypto; the KeyObject lives only in this closure.
  const sign = nodeSigner(CLIENT_ALGORITHMS[alg], KeyObject.from(privateKey));
  return { alg, publicJwk: publicMembers((await exportJWK(publicKey)) as DpopClientJwk), sign };
}

function supplied(alg: DpopClientAlgorithm, privateKey: DpopClientPrivateKey): DpopSigningKey {
  const key = toKeyObject(privateKey);
  if (key.type !== 'private') fail('key.privateKey', 'must be a private key (this one is public)');
  checkKeyFits(alg, key, 'key.privateKey');
  const publicJwk = publicMembers(createPublicKey(key).export({ format: 'jwk' }) as DpopClientJwk);
  return { alg, publicJwk, sign: nodeSigner(CLIENT_ALGORITHMS[alg], key) };
}

function external(alg: DpopClientAlgorithm, publicJwk: DpopClientJwk, sign: DpopSigningKey['sign']): DpopSigningKey {
  let key: KeyObject | undefined;
  try {
    key = createPublicKey({ key: publicMembers(publicJwk) as JsonWebKey, format: 'jwk' });
  } catch {
    fail('key.publicJwk', 'is not a valid public JWK');
  }
  checkKeyFits(alg, key!, 'key.publicJwk');
  return { alg, publicJwk: publicMembers(publicJwk), sign };
}

/**
 * Builds the signing key from the `key` option and checks, by signing and
 * verifying a random probe, that the signature fits the public JWK (this
 * catches a KMS callback that signs with another key or in DER form).
 * @internal
 */
export async function loadSigningKey(options: DpopClientKeyOptions): Promise<DpopSigningKey> {
  const key =
    'generate' in options
      ? await generated(options.generate)
      : 'sign' in options
        ? external(options.alg, options.publicJwk, options.sign)
        : supplied(options.alg, options.privateKey);
  const probe = randomBytes(32);
  let signature: Uint8Array;
  try {
    signature = await key.sign(probe);
  } catch (error) {
    throw optionError('DpopClientModule', 'key', `could not sign at start-up (${(error as Error)?.name ?? 'error'})`);
  }
  const publicKey = createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' });
  if (!(signature instanceof Uint8Array) || !nodeVerifies(CLIENT_ALGORITHMS[key.alg], publicKey, probe, signature)) {
    fail(
      'key',
      `gives a signature that does not verify with its public key for ${key.alg} ` +
        '(a sign callback must return a JWS signature, raw r||s for ECDSA, made by the key of "publicJwk")',
    );
  }
  return key;
}
