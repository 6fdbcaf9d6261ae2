// Micro-benchmark of DPoP proof verification (a benchmark, not a test).
//   npm run bench:verify            (builds dist/ first)
// Compares, on the same pre-generated ES256 proofs, in one process:
//   - DpopVerifierService.verify (memory replay store, all checks),
//   - jose jwtVerify(proof, EmbeddedJWK) (signature and typ only, no replay),
//   - raw node:crypto verify of the signature (split + base64url decode + verify).
import 'reflect-metadata';
import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { arch, cpus } from 'node:os';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { DpopNonceService, DpopVerifierService, MemoryDpopStore, resolveDpopOptions } from '../dist/index.js';

const CLIENTS = 64;
const PROOFS = Number(process.env.BENCH_PROOFS ?? 12_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HTU = 'https://api.example.com/orders';
const NOW = 1_800_000_000;

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function makeProofs() {
  const clients = Array.from({ length: CLIENTS }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    return { privateKey, header: b64({ typ: 'dpop+jwt', alg: 'ES256', jwk }) };
  });
  return Array.from({ length: PROOFS }, (_, i) => {
    const client = clients[i % CLIENTS];
    const input = `${client.header}.${b64({ jti: randomUUID(), htm: 'GET', htu: HTU, iat: NOW })}`;
    const signature = sign('sha256', Buffer.from(input), { key: client.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  });
}

async function time(name, proofs, run) {
  const start = process.hrtime.bigint();
  for (const proof of proofs) await run(proof);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return proofs.length / seconds;
}

const proofs = makeProofs();
const request = { method: 'GET', url: HTU };

// raw: one KeyObject per client, made ahead (the best any verifier can do).
const rawKeys = new Map();
for (const proof of proofs) {
  const header = proof.slice(0, proof.indexOf('.'));
  if (!rawKeys.has(header)) {
    const { jwk } = JSON.parse(Buffer.from(header, 'base64url').toString());
    rawKeys.set(header, { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
  }
}
function raw(proof) {
  const end = proof.lastIndexOf('.');
  const key = rawKeys.get(proof.slice(0, proof.indexOf('.')));
  if (
    !verify('sha256', Buffer.from(proof.slice(0, end), 'latin1'), key, Buffer.from(proof.slice(end + 1), 'base64url'))
  ) {
    throw new Error('raw verify failed');
  }
}
const joseOptions = { typ: 'dpop+jwt', algorithms: ['ES256'], currentDate: new Date(NOW * 1000) };
const jose = (proof) => jwtVerify(proof, EmbeddedJWK, joseOptions);

function newVerifier() {
  const options = resolveDpopOptions({ now: () => NOW * 1000 });
  const store = new MemoryDpopStore({ maxEntries: PROOFS * (ROUNDS + 2), now: options.now });
  return new DpopVerifierService(options, store, new DpopNonceService(options));
}

// Warm up every path (JIT, key caches), then interleave the measured rounds.
const warm = proofs.slice(0, 2000);
const warmVerifier = newVerifier();
for (const proof of warm) {
  raw(proof);
  await jose(proof);
  await warmVerifier.verify(proof, request);
}

const results = { raw: [], jose: [], dpop: [] };
for (let round = 0; round < ROUNDS; round++) {
  const verifier = newVerifier(); // fresh replay store: every proof is new to it
  for (const proof of proofs.slice(0, CLIENTS)) await verifier.verify(proof, request).catch(() => {});
  const measured = proofs.slice(CLIENTS);
  results.raw.push(await time('raw', measured, raw));
  results.jose.push(await time('jose', measured, jose));
  results.dpop.push(await time('dpop', measured, (proof) => verifier.verify(proof, request)));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const raws = median(results.raw);
const joses = median(results.jose);
const dpops = median(results.dpop);
const row = (name, ops) =>
  `| ${name.padEnd(46)} | ${Math.round(ops).toLocaleString('en-US').padStart(9)} | ${(ops / raws).toFixed(2).padStart(6)}× | ${(ops / joses).toFixed(2).padStart(7)}× |`;

console.log(`\nDPoP verify, ES256, ${PROOFS - CLIENTS} proofs from ${CLIENTS} keys, median of ${ROUNDS} rounds`);
console.log(
  `node ${process.version} ${arch()} · ${cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log('| path                                           |     ops/s |  × raw |  × jose |');
console.log('|------------------------------------------------|-----------|--------|---------|');
console.log(row('node:crypto verify (raw signature check)', raws));
console.log(row('jose jwtVerify(proof, EmbeddedJWK)', joses));
console.log(row('DpopVerifierService.verify (all checks+replay)', dpops));
console.log(
  `\ntargets: verify ≥ 2× jose-EmbeddedJWK: ${dpops / joses >= 2 ? 'met' : 'NOT met'} (${(dpops / joses).toFixed(2)}×); ` +
    `verify ≥ 0.7× raw: ${dpops / raws >= 0.7 ? 'met' : 'NOT met'} (${(dpops / raws).toFixed(2)}×)`,
);
