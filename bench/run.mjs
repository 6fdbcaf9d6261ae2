// npm run bench: the verify micro-benchmark and the HTTP benchmark in one go, one table,
// written to bench/RESULTS.md. Bounded (a fixed number of requests), loopback only.
import { writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { runHttpBench } from './http-lib.mjs';
import { runVerifyBench } from './verify-lib.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const verify = [];
for (const alg of ['ES256', 'EdDSA']) verify.push(await runVerifyBench({ alg, count: 12_000, rounds: 3 }));
const http = await runHttpBench({
  requests: REQUESTS,
  kinds: [
    'peer',
    'express-ceiling',
    'nest-express-ceiling',
    'nest-express-memory',
    'nest-express-sqlite',
    'nest-fastify-ceiling',
    'nest-fastify-memory',
    'nest-fastify-sqlite',
  ],
});

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const peer = http.rows.find((r) => r.kind === 'peer');
const names = {
  peer: 'Express 5 + express-oauth2-jwt-bearer, DPoP required (peer)',
  'express-ceiling': 'Express 5, no auth (HTTP ceiling)',
  'nest-express-ceiling': 'Nest 12 on Express, no auth (HTTP ceiling)',
  'nest-express-memory': 'Nest 12 on Express + @DpopBound(), memory store',
  'nest-express-sqlite': 'Nest 12 on Express + @DpopBound(), SQLite store',
  'nest-fastify-ceiling': 'Nest 12 on Fastify, no auth (HTTP ceiling)',
  'nest-fastify-memory': 'Nest 12 on Fastify + @DpopBound(), memory store',
  'nest-fastify-sqlite': 'Nest 12 on Fastify + @DpopBound(), SQLite store',
};
const lines = [];
lines.push(`# Benchmark results`);
lines.push('');
lines.push(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${arch()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. ` +
    `Command: \`npm run bench\`.`,
);
lines.push('');
lines.push('## Proof verification (one process, same proofs for every path, median of 3 rounds)');
lines.push('');
lines.push('| alg | path | ops/s | × raw | × jose |');
lines.push('| --- | --- | ---: | ---: | ---: |');
for (const r of verify) {
  for (const [name, ops] of [
    ['`node:crypto` verify (raw signature check)', r.raw],
    ['jose `jwtVerify(proof, EmbeddedJWK)`', r.jose],
    ['`DpopVerifierService.verify` (all checks + replay record)', r.dpop],
  ]) {
    lines.push(`| ${r.alg} | ${name} | ${fmt(ops)} | ${(ops / r.raw).toFixed(2)}× | ${(ops / r.jose).toFixed(2)}× |`);
  }
}
lines.push('');
lines.push(
  `## HTTP (${fmt(http.requests)} requests, ${http.connections} connections, 64 client keys, a unique proof per request; ` +
    `server ${http.pinned ? 'pinned to one core with taskset' : 'not pinned (no taskset)'})`,
);
lines.push('');
lines.push('| server | req/s | p50 ms | p99 ms | server CPU µs/req | × peer req/s | 2xx | failed |');
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of http.rows) {
  lines.push(
    `| ${names[r.kind]} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuPerRequest)} | ${(r.rps / peer.rps).toFixed(2)}× | ${fmt(r.ok)} | ${fmt(r.failed)} |`,
  );
}
lines.push('');
const ratio = (kind) => http.rows.find((r) => r.kind === kind).rps / peer.rps;
const targets = [
  [
    'verify ≥ 0.7× raw (ES256)',
    verify[0].dpop / verify[0].raw >= 0.7,
    `${(verify[0].dpop / verify[0].raw).toFixed(2)}×`,
  ],
  [
    'verify ≥ 0.7× raw (EdDSA)',
    verify[1].dpop / verify[1].raw >= 0.7,
    `${(verify[1].dpop / verify[1].raw).toFixed(2)}×`,
  ],
  [
    'guard + memory store ≥ 2× peer (Fastify)',
    ratio('nest-fastify-memory') >= 2,
    `${ratio('nest-fastify-memory').toFixed(2)}×`,
  ],
  [
    'guard + memory store ≥ 2× peer (Express)',
    ratio('nest-express-memory') >= 2,
    `${ratio('nest-express-memory').toFixed(2)}×`,
  ],
  [
    'guard + SQLite store ≥ 1.5× peer (Fastify)',
    ratio('nest-fastify-sqlite') >= 1.5,
    `${ratio('nest-fastify-sqlite').toFixed(2)}×`,
  ],
  [
    'guard + SQLite store ≥ 1.5× peer (Express)',
    ratio('nest-express-sqlite') >= 1.5,
    `${ratio('nest-express-sqlite').toFixed(2)}×`,
  ],
];
lines.push('Targets:');
lines.push('');
for (const [name, met, value] of targets) lines.push(`- ${name}: ${met ? 'met' : 'not met'} (${value})`);
lines.push('');
lines.push(
  'Our servers do replay detection (an atomic insert per proof); the peer does not. All servers verify the same ES256 ' +
    'JWT access token (local key) and an ES256 proof with `ath` per request.',
);
const text = lines.join('\n') + '\n';
console.log(`\n${text}`);
writeFileSync(new URL('./RESULTS.md', import.meta.url), text);
