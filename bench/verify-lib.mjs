// DpopVerifierService.verify vs jose jwtVerify(EmbeddedJWK) vs raw node:crypto verify, on the same proofs.
import 'reflect-metadata';
import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { DpopNonceService, DpopVerifierService, MemoryDpopStore } from '../dist/esm/index.js';
import { resolveDpopOptions } from '../dist/esm/options/resolve-dpop-options.js';

const HTU = 'https://api.example.com/orders';
const NOW = 1_800_000_000;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

const ALGS = {
  ES256: { keyType: 'ec', keyOptions: { namedCurve: 'P-256' }, digest: 'sha256', dsaEncoding: 'ieee-p1363' },
  EdDSA: { keyType: 'ed25519', keyOptions: {}, digest: null },
};

function makeProofs(alg, count, clients) {
  const spec = ALGS[alg];
  const keys = Array.from({ length: clients }, () => {
    const { privateKey, publicKey } = generateKeyPairSync(spec.keyType, spec.keyOptions);
    return { privateKey, header: b64({ typ: 'dpop+jwt', alg, jwk: publicKey.export({ format: 'jwk' }) }) };
  });
  return Array.from({ length: count }, (_, i) => {
    const client = keys[i % clients];
    const input = `${client.header}.${b64({ jti: randomUUID(), htm: 'GET', htu: HTU, iat: NOW })}`;
    const key = spec.dsaEncoding ? { key: client.privateKey, dsaEncoding: spec.dsaEncoding } : client.privateKey;
    return `${input}.${sign(spec.digest, Buffer.from(input), key).toString('base64url')}`;
  });
}

/** Nanoseconds to run `run` on every proof of `proofs`, one after the other. */
async function elapsed(proofs, run) {
  const start = process.hrtime.bigint();
  for (const proof of proofs) await run(proof);
  return Number(process.hrtime.bigint() - start);
}

/** Proofs per block: the raw check and the DPoP check take turns every block, so a slow spell of the VM hits both. */
const BLOCK = 200;

/**
 * Ops/s of the three paths for `alg` in ES256 | EdDSA: raw and dpop from the round with the median dpop/raw ratio,
 * jose the median of its own rounds.
 */
export async function runVerifyBench({ alg = 'ES256', count = 12_000, clients = 64, rounds = 3 } = {}) {
  const spec = ALGS[alg];
  const proofs = makeProofs(alg, count, clients);
  const request = { method: 'GET', url: HTU };
  // raw: one KeyObject per client, made ahead (the best any verifier can do), then split + decode + verify.
  const rawKeys = new Map();
  for (const proof of proofs) {
    const header = proof.slice(0, proof.indexOf('.'));
    if (!rawKeys.has(header)) {
      const { jwk } = JSON.parse(Buffer.from(header, 'base64url').toString());
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      rawKeys.set(header, spec.dsaEncoding ? { key, dsaEncoding: spec.dsaEncoding } : key);
    }
  }
  const raw = (proof) => {
    const end = proof.lastIndexOf('.');
    const key = rawKeys.get(proof.slice(0, proof.indexOf('.')));
    if (
      !verify(
        spec.digest,
        Buffer.from(proof.slice(0, end), 'latin1'),
        key,
        Buffer.from(proof.slice(end + 1), 'base64url'),
      )
    ) {
      throw new Error('raw verify failed');
    }
  };
  const joseOptions = { typ: 'dpop+jwt', algorithms: [alg], currentDate: new Date(NOW * 1000) };
  const jose = (proof) => jwtVerify(proof, EmbeddedJWK, joseOptions);
  const newVerifier = () => {
    const options = resolveDpopOptions({ now: () => NOW * 1000 });
    const store = new MemoryDpopStore({ maxEntries: count * (rounds + 2), now: options.now });
    return new DpopVerifierService(options, store, new DpopNonceService(options));
  };

  const warm = proofs.slice(0, Math.min(2000, count));
  const warmVerifier = newVerifier();
  for (const proof of warm) {
    raw(proof);
    await jose(proof);
    await warmVerifier.verify(proof, request);
  }
  // The raw check and DpopVerifierService take turns on blocks of the same proofs (which goes first alternates), so
  // both see the same machine; the ratio is their total times over the round. jose runs on its own afterwards: its
  // garbage (a CryptoKey per proof) would otherwise be collected in the middle of the other two.
  const results = { pairs: [], jose: [] };
  const measured = proofs.slice(clients);
  for (let round = 0; round < rounds; round++) {
    const verifier = newVerifier(); // a fresh replay store: every proof is new to it
    for (const proof of proofs.slice(0, clients)) await verifier.verify(proof, request).catch(() => {});
    const dpop = (proof) => verifier.verify(proof, request);
    let rawNs = 0;
    let dpopNs = 0;
    for (let start = 0, block = 0; start < measured.length; start += BLOCK, block++) {
      const slice = measured.slice(start, start + BLOCK);
      if (block % 2 === 0) {
        rawNs += await elapsed(slice, raw);
        dpopNs += await elapsed(slice, dpop);
      } else {
        dpopNs += await elapsed(slice, dpop);
        rawNs += await elapsed(slice, raw);
      }
    }
    results.pairs.push({ raw: (measured.length * 1e9) / rawNs, dpop: (measured.length * 1e9) / dpopNs });
  }
  for (let round = 0; round < rounds; round++) {
    results.jose.push((measured.length * 1e9) / (await elapsed(measured, jose)));
  }
  const median = (values, by = (v) => v) => [...values].sort((a, b) => by(a) - by(b))[Math.floor(values.length / 2)];
  // raw and dpop from one round, the one with the median ratio of the two
  const { raw: rawOps, dpop: dpopOps } = median(results.pairs, (pair) => pair.dpop / pair.raw);
  return { alg, proofs: count - clients, clients, raw: rawOps, jose: median(results.jose), dpop: dpopOps };
}
