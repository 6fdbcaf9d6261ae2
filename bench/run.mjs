// npm run bench: the verify micro-benchmark and the HTTP benchmark in one go, one table,
// written to bench/RESULTS.md. Bounded (a fixed number of requests), loopback only.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg } from 'node:os';
import { runHttpBench } from './http-lib.mjs';
import { runVerifyBench } from './verify-lib.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const KINDS = [
  'peer',
  'express-ceiling',
  'nest-express-ceiling',
  'nest-express-memory',
  'nest-express-sqlite',
  'nest-fastify-ceiling',
  'nest-fastify-memory',
  'nest-fastify-sqlite',
  'apollo-ceiling',
  'apollo-memory',
  'mercurius-ceiling',
  'mercurius-memory',
];
// BENCH_KINDS=a,b,… runs only those HTTP rows (no verify benchmark) and prints them without writing RESULTS.md:
// for repeated runs of a few rows.
const EXTRA = ['nest-express-pass', 'nest-fastify-pass', 'apollo-pass', 'mercurius-pass']; // an async guard checking nothing
const only = process.env.BENCH_KINDS?.split(',').map((kind) => kind.trim());
if (only) {
  const unknown = only.filter((kind) => !KINDS.includes(kind) && !EXTRA.includes(kind));
  if (unknown.length > 0) throw new Error(`BENCH_KINDS: unknown ${unknown.join(', ')}; known: ${KINDS.join(', ')}`);
  const { rows } = await runHttpBench({ requests: REQUESTS, kinds: only });
  console.table(rows.map((r) => ({ ...r, rps: Math.round(r.rps), cpuPerRequest: Math.round(r.cpuPerRequest) })));
  process.exit(0);
}
const loadAtStart = loadavg()[0];
const verify = [];
for (const alg of ['ES256', 'EdDSA']) verify.push(await runVerifyBench({ alg, count: 12_000, rounds: 3 }));
const http = await runHttpBench({ requests: REQUESTS, kinds: KINDS });

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
  'apollo-ceiling': 'GraphQL `me`: Apollo on Express, no auth (ceiling)',
  'apollo-memory': 'GraphQL `me`: Apollo on Express + @DpopBound(), memory store',
  'mercurius-ceiling': 'GraphQL `me`: Mercurius on Fastify, no auth (ceiling)',
  'mercurius-memory': 'GraphQL `me`: Mercurius on Fastify + @DpopBound(), memory store',
};
const lines = [];
lines.push(`# Benchmark results`);
lines.push('');
lines.push(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${arch()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. ` +
    `Command: \`npm run bench\`.`,
);
lines.push('');
lines.push(
  `Load average (1 min) at start and end of the run: ${loadAtStart.toFixed(1)} and ${loadavg()[0].toFixed(1)} ` +
    `on ${cpus().length} cores: above the core count the machine was shared, and absolute figures move from run ` +
    'to run; compare rows within a run.',
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
const cpu = (kind) => http.rows.find((r) => r.kind === kind).cpuPerRequest;
lines.push('What the guard adds (server CPU µs per request, guarded row minus the same stack with no auth):');
lines.push('');
lines.push('| stack | REST `GET /api/me` | GraphQL `me` by `POST /graphql` |');
lines.push('| --- | ---: | ---: |');
lines.push(
  `| Express (Apollo for GraphQL) | ${fmt(cpu('nest-express-memory') - cpu('nest-express-ceiling'))} | ${fmt(cpu('apollo-memory') - cpu('apollo-ceiling'))} |`,
);
lines.push(
  `| Fastify (Mercurius for GraphQL) | ${fmt(cpu('nest-fastify-memory') - cpu('nest-fastify-ceiling'))} | ${fmt(cpu('mercurius-memory') - cpu('mercurius-ceiling'))} |`,
);
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
lines.push(
  'The GraphQL rows send `{ me { ok jkt } }` as JSON by `POST /graphql` (body parser on, in both rows of a driver) ' +
    'with a proof for that URL; a response whose body has `errors` counts as failed.',
);
const text = lines.join('\n') + '\n';
console.log(`\n${text}`);
// Sections written by other benchmarks (the client's, from `npm run bench:client`) stay as they are.
const file = new URL('./RESULTS.md', import.meta.url);
const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
const kept = previous.indexOf('\n## Client:');
writeFileSync(file, kept === -1 ? text : `${text}${previous.slice(kept)}`);
