// Micro-benchmark of DPoP proof signing by the client (a benchmark, not a test).
//   npm run bench:client            (builds dist/ first)
// Same key (a WebCrypto key pair made by panva's `dpop`), same inputs (URL with a
// query, an access token for `ath`, a server nonce), one proof at a time, awaited:
//   - panva/dpop generateProof (WebCrypto sign, public JWK exported per proof),
//   - DpopProofSigner.sign from nestjs-dpop/client (header encoded once, node:crypto sign),
//   - DpopProofSigner.sign with a `sign` callback doing WebCrypto (the KMS path: no node:crypto).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { arch, cpus } from 'node:os';
import { generateKeyPair, generateProof } from 'dpop';
import { exportJWK } from 'jose';
import { DpopProofSigner } from '../dist/esm/client/index.js';

const count = Number(process.env.BENCH_PROOFS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const URL_ = 'https://api.example.com/orders?page=2';
const HTU = 'https://api.example.com/orders';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.' + 'x'.repeat(600) + '.sig';
const NONCE = 'eyJ7S_zG.eyJH0-Z.HX4w-7v';
const SUBTLE = { ES256: { name: 'ECDSA', hash: 'SHA-256' }, Ed25519: { name: 'Ed25519' } };

async function opsPerSecond(run, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function bench(alg) {
  const keyPair = await generateKeyPair(alg);
  const ours = await DpopProofSigner.create({ alg, privateKey: keyPair.privateKey });
  const kms = await DpopProofSigner.create({
    alg,
    publicJwk: await exportJWK(keyPair.publicKey),
    sign: async (data) => new Uint8Array(await webcrypto.subtle.sign(SUBTLE[alg], keyPair.privateKey, data)),
  });
  const paths = {
    dpop: () => generateProof(keyPair, HTU, 'GET', NONCE, TOKEN),
    ours: () => ours.sign('GET', URL_, { accessToken: TOKEN, nonce: NONCE }),
    kms: () => kms.sign('GET', URL_, { accessToken: TOKEN, nonce: NONCE }),
  };
  for (const run of Object.values(paths)) await opsPerSecond(run, Math.min(1_000, count)); // warm-up
  const samples = { dpop: [], ours: [], kms: [] };
  for (let round = 0; round < rounds; round++) {
    // Interleave the paths so machine load hits them alike.
    for (const [name, run] of Object.entries(paths)) samples[name].push(await opsPerSecond(run, count));
  }
  return { alg, dpop: median(samples.dpop), ours: median(samples.ours), kms: median(samples.kms) };
}

const results = [];
for (const alg of ['ES256', 'Ed25519']) results.push(await bench(alg));

console.log(`\nDPoP proof signing, ${count} proofs per round, median of ${rounds} rounds (one proof at a time)`);
console.log(
  `node ${process.version} ${arch()} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log('| alg     | path                                                   | proofs/s | × dpop |');
console.log('|---------|--------------------------------------------------------|----------|--------|');
for (const r of results) {
  const row = (name, ops) =>
    `| ${r.alg.padEnd(7)} | ${name.padEnd(54)} | ${Math.round(ops).toLocaleString('en-US').padStart(8)} | ${(ops / r.dpop).toFixed(2).padStart(5)}× |`;
  console.log(row('panva/dpop generateProof (WebCrypto)', r.dpop));
  console.log(row('DpopProofSigner.sign (node:crypto, cached header)', r.ours));
  console.log(row('DpopProofSigner.sign, sign callback on WebCrypto (KMS)', r.kms));
}
for (const r of results) {
  console.log(
    `${r.alg}: client ≥ 1.5× dpop ${r.ours / r.dpop >= 1.5 ? 'met' : 'NOT met'} (${(r.ours / r.dpop).toFixed(2)}×)`,
  );
}
