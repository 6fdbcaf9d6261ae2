import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CompactSign, type CryptoKey, type JWK } from 'jose';

/** A key proofs are signed with: its JWS algorithm, private key and public JWK (public members only). */
export interface ProofKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** How a proof departs from a valid one: header and claim members replaced, added or (with `undefined`) removed. */
export interface ProofChanges {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Sign with this key instead (the header still names `jwk`, unless changed). */
  signer?: ProofKey;
  /** `none`: no signature; `hs256`: an HMAC with a random secret; `corrupt`: a valid signature with a byte flipped. */
  signature?: 'none' | 'hs256' | 'corrupt';
}

/** What every proof of a request names: method, URL (its query and fragment dropped), token and nonce. */
export interface ProofBase {
  htm: string;
  htu: string;
  accessToken: string;
  nonce?: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** base64url(SHA-256(token)): the `ath` claim (RFC 9449 §4.2). */
export const athOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** The URL without query and fragment, as `htu` names it. */
export function htuOf(url: URL): string {
  const copy = new URL(url.href);
  copy.search = '';
  copy.hash = '';
  return copy.href;
}

/** Drops the members set to `undefined`, so a change can remove a required one. */
function defined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

/**
 * A DPoP proof (RFC 9449 §4.2) for `base`, signed with `key`, then altered by `changes`: written with jose's
 * CompactSign so that any member can be wrong. `iat` is now unless changed; `jti` is fresh every time.
 */
export async function makeProof(key: ProofKey, base: ProofBase, changes: ProofChanges = {}): Promise<string> {
  const alg = changes.signature === 'none' ? 'none' : changes.signature === 'hs256' ? 'HS256' : key.alg;
  const header = defined({ typ: 'dpop+jwt', alg, jwk: key.publicJwk, ...changes.header });
  const claims = defined({
    jti: randomUUID(),
    htm: base.htm,
    htu: base.htu,
    iat: Math.floor(Date.now() / 1000),
    ath: athOf(base.accessToken),
    ...(base.nonce === undefined ? {} : { nonce: base.nonce }),
    ...changes.claims,
  });
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  if (changes.signature === 'none') return `${b64(header)}.${Buffer.from(payload).toString('base64url')}.`;
  const secret = changes.signature === 'hs256' ? randomBytes(32) : undefined;
  const signer = changes.signer ?? key;
  const jws = await new CompactSign(payload)
    .setProtectedHeader(header as { alg: string })
    .sign(secret ?? signer.privateKey);
  if (changes.signature !== 'corrupt') return jws;
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  signature[0] = signature[0]! ^ 0xff;
  return `${jws.slice(0, dot + 1)}${signature.toString('base64url')}`;
}
