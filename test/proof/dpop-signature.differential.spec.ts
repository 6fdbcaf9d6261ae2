import { compactVerify, importJWK, type JWK } from 'jose';
import { KeyObject, randomBytes, type webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_ALGORITHMS, type DpopAlgorithm } from '../../lib/proof/algorithms.js';
import { signatureCheck } from '../../lib/proof/signature.js';
import { makeKey, signProof } from '../helpers/proofs.js';

/**
 * The verifier checks signatures with node:crypto on the jose-imported key
 * instead of jose's compactVerify (the one JWS step not done by jose). This
 * proves the two agree, proof by proof, on valid and tampered input for
 * every algorithm.
 */
const ALGORITHMS = Object.keys(SUPPORTED_ALGORITHMS) as DpopAlgorithm[];
const PROOFS_PER_ALGORITHM = { RSA: 120, EC: 150, OKP: 300 } as const;

function flipBit(buffer: Buffer): Buffer {
  const copy = Buffer.from(buffer);
  const bit = Math.floor(Math.random() * copy.length * 8);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('signature check: node:crypto agrees with jose compactVerify', () => {
  let total = 0;

  it.each(ALGORITHMS)('%s', { timeout: 120_000 }, async (alg) => {
    const profile = SUPPORTED_ALGORITHMS[alg];
    const key = await makeKey(alg);
    const other = await makeKey(alg);
    const publicKey = await importJWK(key.publicJwk as JWK, alg);
    const check = signatureCheck(profile, KeyObject.from(publicKey as webcrypto.CryptoKey));
    let accepted = 0;
    let agreed = 0;
    for (let i = 0; i < PROOFS_PER_ALGORITHM[profile.kty]; i++) {
      const base = { htm: 'POST', htu: `https://a.example/${i}`, iat: 1_800_000_000 + i };
      const [header, payload, signature] = (await signProof(key, base)).split('.') as [string, string, string];
      const [, , foreign] = (await signProof(other, base, { header: { jwk: key.publicJwk } })).split('.');
      const sig = Buffer.from(signature, 'base64url');
      const tamperedPayload = Buffer.from(JSON.stringify({ ...base, htm: 'GET' })).toString('base64url');
      const variants: [string, string, Buffer][] = [
        [header, payload, sig],
        [header, payload, flipBit(sig)],
        [header, tamperedPayload, sig],
        [header, payload, Buffer.from(foreign!, 'base64url')],
        [header, payload, randomBytes(sig.length)],
        [header, payload, sig.subarray(0, sig.length - 1)],
        [header, payload, Buffer.concat([sig, Buffer.alloc(1)])],
      ];
      for (const [h, p, s] of variants) {
        const ours = check(Buffer.from(`${h}.${p}`, 'latin1'), s);
        const theirs = await compactVerify(`${h}.${p}.${s.toString('base64url')}`, publicKey, {
          algorithms: [alg],
        }).then(
          () => true,
          () => false,
        );
        expect(ours, `${alg} proof ${i}`).toBe(theirs);
        if (ours) accepted++;
        agreed++;
      }
    }
    // Every untampered proof verified, and no tampered one did.
    expect(accepted).toBe(PROOFS_PER_ALGORITHM[profile.kty]);
    total += agreed;
  });

  it('compared thousands of proofs', () => {
    expect(total).toBeGreaterThan(10_000);
  });
});
