import { Test } from '@nestjs/testing';
import { generateKeyPair as dpopKeyPair, generateProof } from 'dpop';
import { compactVerify, exportJWK, exportPKCS8, generateKeyPair, importJWK, type JWK } from 'jose';
import { createHash, KeyObject, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopModule, DpopNonceService, DpopVerifierService } from '../../lib/index.js';
import { DpopProofSigner, type DpopClientAlgorithm, type DpopClientKeyOptions } from '../../lib/client/index.js';
import { decodeJws } from './client-helpers.js';

/**
 * The client signs proofs with hand-assembled JWS over node:crypto. This
 * checks thousands of them, for every algorithm and every way to give a
 * key, with jose's compactVerify (on the key embedded in the proof) and
 * with this library's DpopVerifierService, and compares their shape with
 * panva's `dpop` generateProof.
 */
const ALGORITHMS: DpopClientAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
];
const isRsa = (alg: string) => /^[RP]S/.test(alg);
const PROOFS = (alg: string) => (isRsa(alg) ? 150 : 600);
const SUBTLE: Record<string, webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaPssParams> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', hash: 'SHA-384' },
  ES512: { name: 'ECDSA', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  PS384: { name: 'RSA-PSS', saltLength: 48 },
  PS512: { name: 'RSA-PSS', saltLength: 64 },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  RS384: { name: 'RSASSA-PKCS1-v1_5' },
  RS512: { name: 'RSASSA-PKCS1-v1_5' },
  EdDSA: { name: 'Ed25519' },
  Ed25519: { name: 'Ed25519' },
};

/** Every way the client takes a key, for `alg`. The `sign` callback stands for a KMS: WebCrypto signs. */
async function keySources(alg: DpopClientAlgorithm): Promise<[string, DpopClientKeyOptions][]> {
  const options = { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) };
  const { privateKey } = await generateKeyPair(alg, options);
  const kms = await generateKeyPair(alg, { ...options, extractable: false });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg, use: 'sig' };
  return [
    ['generated', { generate: alg }],
    ['CryptoKey', { alg, privateKey }],
    ['KeyObject', { alg, privateKey: KeyObject.from(privateKey) }],
    ['private JWK', { alg, privateKey: privateJwk }],
    ['PKCS#8 PEM', { alg, privateKey: await exportPKCS8(privateKey) }],
    [
      'sign callback',
      {
        alg,
        publicJwk: await exportJWK(kms.publicKey),
        sign: async (data: Uint8Array) =>
          new Uint8Array(await webcrypto.subtle.sign(SUBTLE[alg]!, kms.privateKey, data)),
      },
    ],
  ].map(([name, key]) => [name as string, key as DpopClientKeyOptions]);
}

describe('client proofs: jose compactVerify and DpopVerifierService accept them all', () => {
  let verifier: DpopVerifierService;
  let serverNonce: string;
  let close: () => Promise<void>;
  let total = 0;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot({})] }).compile();
    const app = await moduleRef.init();
    verifier = app.get(DpopVerifierService);
    serverNonce = app.get(DpopNonceService).issue();
    close = () => app.close();
  });
  afterAll(() => close());

  it.each(ALGORITHMS)('%s, from every key source', { timeout: 180_000 }, async (alg) => {
    const sources = await keySources(alg);
    const perSource = Math.ceil(PROOFS(alg) / sources.length);
    for (const [source, key] of sources) {
      const signer = await DpopProofSigner.create(key);
      expect(Object.keys(signer.publicJwk).sort(), source).toEqual(
        isRsa(alg) ? ['e', 'kty', 'n'] : alg.startsWith('ES') ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'],
      );
      for (let i = 0; i < perSource; i++) {
        const accessToken = `token-${alg}-${i}`;
        const method = i % 2 ? 'POST' : 'GET';
        const url = `https://api.example.com/r/${i}?q=${i}#f`;
        const nonce = i % 3 === 0 ? serverNonce : undefined; // a nonce the verifier issued
        const proof = await signer.sign(method, url, { accessToken, nonce });
        const { header, claims } = decodeJws(proof);
        expect(header, `${alg} ${source}`).toEqual({ alg, typ: 'dpop+jwt', jwk: signer.publicJwk });
        expect(claims).toMatchObject({ htm: method, htu: `https://api.example.com/r/${i}` });
        expect(claims.ath).toBe(createHash('sha256').update(accessToken).digest('base64url'));
        expect(claims.nonce).toBe(nonce);

        const embedded = await importJWK(header.jwk as JWK, alg);
        await expect(
          compactVerify(proof, embedded, { algorithms: [alg] }),
          `${alg} ${source} jose`,
        ).resolves.toBeTruthy();
        const result = await verifier.verify(proof, { method, url, accessToken });
        expect(result.jkt, `${alg} ${source} DpopVerifierService`).toBe(signer.jkt);
        total++;
      }
    }
  });

  it('compared thousands of proofs', () => {
    expect(total).toBeGreaterThan(3_500);
  });
});

describe('client proofs have the shape of panva/dpop generateProof', () => {
  it.each(['ES256', 'PS256', 'RS256', 'Ed25519'] as const)('%s', async (alg) => {
    const keyPair = await dpopKeyPair(alg);
    const signer = await DpopProofSigner.create({ alg, privateKey: keyPair.privateKey });
    const url = 'https://api.example.com/resource';
    const theirs = decodeJws(await generateProof(keyPair, url, 'GET', 'nonce-1', 'token-1'));
    const ours = decodeJws(await signer.sign('GET', `${url}?query`, { nonce: 'nonce-1', accessToken: 'token-1' }));
    expect(Object.keys(ours.header)).toEqual(Object.keys(theirs.header));
    expect(ours.header).toEqual(theirs.header); // same key: same alg, typ and public JWK
    expect(Object.keys(ours.claims)).toEqual(Object.keys(theirs.claims));
    const { iat: _i1, jti: ourJti, ...ourRest } = ours.claims;
    const { iat: _i2, jti: theirJti, ...theirRest } = theirs.claims;
    expect(ourRest).toEqual(theirRest); // htm, nonce, htu, ath
    expect(typeof ourJti).toBe(typeof theirJti);
    expect(Math.abs((ours.claims.iat as number) - (theirs.claims.iat as number))).toBeLessThanOrEqual(5);
  });
});
