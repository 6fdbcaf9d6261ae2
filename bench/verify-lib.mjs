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

async function time(proofs, run) {
  const start = process.hrtime.bigint();
  for (const proof of proofs) await run(proof);
  return proofs.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Ops/s of the three paths (median of `rounds`), for `alg` in ES256 | EdDSA. */
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
  const results = { raw: [], jose: [], dpop: [] };
  for (let round = 0; round < rounds; round++) {
    const verifier = newVerifier(); // a fresh replay store: every proof is new to it
    for (const proof of proofs.slice(0, clients)) await verifier.verify(proof, request).catch(() => {});
    const measured = proofs.slice(clients);
    results.raw.push(await time(measured, raw));
    results.jose.push(await time(measured, jose));
    results.dpop.push(await time(measured, (proof) => verifier.verify(proof, request)));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    alg,
    proofs: count - clients,
    clients,
    raw: median(results.raw),
    jose: median(results.jose),
    dpop: median(results.dpop),
  };
}
