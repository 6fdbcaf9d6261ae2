// Micro-benchmark of DPoP proof verification (a benchmark, not a test).
//   npm run bench:verify            (builds dist/ first)
// On the same pre-generated proofs (64 client keys, a fresh jti each), in one process:
//   - DpopVerifierService.verify (memory replay store, all checks),
//   - jose jwtVerify(proof, EmbeddedJWK) (signature and typ only, no replay),
//   - raw node:crypto verify of the signature (split + base64url decode + verify).
// The raw check and DpopVerifierService take turns on blocks of 200 proofs (see verify-lib.mjs), so their ratio
// holds on a shared VM whose speed drifts by 10–20% within a minute.
import { arch, cpus } from 'node:os';
import { runVerifyBench } from './verify-lib.mjs';

const count = Number(process.env.BENCH_PROOFS ?? 12_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const results = [];
for (const alg of ['ES256', 'EdDSA']) results.push(await runVerifyBench({ alg, count, rounds }));

console.log(
  `\nDPoP verify, ${count - 64} proofs from 64 keys per algorithm, raw and DpopVerifierService interleaved in blocks, median of ${rounds} rounds`,
);
console.log(
  `node ${process.version} ${arch()} · ${cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log('| alg   | path                                           |     ops/s |  × raw |  × jose |');
console.log('|-------|------------------------------------------------|-----------|--------|---------|');
for (const r of results) {
  const row = (name, ops) =>
    `| ${r.alg.padEnd(5)} | ${name.padEnd(46)} | ${Math.round(ops).toLocaleString('en-US').padStart(9)} | ${(ops / r.raw).toFixed(2).padStart(5)}× | ${(ops / r.jose).toFixed(2).padStart(6)}× |`;
  console.log(row('node:crypto verify (raw signature check)', r.raw));
  console.log(row('jose jwtVerify(proof, EmbeddedJWK)', r.jose));
  console.log(row('DpopVerifierService.verify (all checks+replay)', r.dpop));
}
for (const r of results) {
  console.log(
    `${r.alg}: verify ≥ 2× jose-EmbeddedJWK ${r.dpop / r.jose >= 2 ? 'met' : 'NOT met'} (${(r.dpop / r.jose).toFixed(2)}×); ` +
      `verify ≥ 0.9× raw ${r.dpop / r.raw >= 0.9 ? 'met' : 'NOT met'} (${(r.dpop / r.raw).toFixed(2)}×)`,
  );
}
