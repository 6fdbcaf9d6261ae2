// npm run bench: the verify micro-benchmark and the HTTP benchmark in one go, one table, written to its
// section of bench/RESULTS.md. Bounded (a fixed number of requests), loopback only. Needs PostgreSQL
// (127.0.0.1:5432), MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) for the shared-store rows.
//   BENCH_KINDS=nest-fastify-memory,nest-fastify-sqlite npm run bench   a subset, printed, not written
//   BENCH_PIN_STORES=0 npm run bench   leave Redis, PostgreSQL and MariaDB on every core (by default the run moves
//                                       them to the load generator's core, off the measured server's; see http-lib.mjs)
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHttpBench } from './http-lib.mjs';
import { writeSection } from './results-file.mjs';
import { runVerifyBench } from './verify-lib.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ALL = [
  'peer',
  'express-ceiling',
  'nest-express-ceiling',
  'nest-express-memory',
  'nest-express-memory-noyield',
  'nest-express-sqlite',
  'nest-express-postgres',
  'nest-express-mariadb',
  'nest-express-redis',
  'nest-express-ioredis',
  'nest-fastify-ceiling',
  'nest-fastify-memory',
  'nest-fastify-memory-noyield',
  'nest-fastify-sqlite',
  'nest-fastify-postgres',
  'nest-fastify-mariadb',
  'nest-fastify-redis',
  'nest-fastify-ioredis',
  'apollo-ceiling',
  'apollo-memory',
  'mercurius-ceiling',
  'mercurius-memory',
];
const subset = process.env.BENCH_KINDS?.split(',').filter(Boolean);
// BENCH_FROM=<raw.json>: format the rows of an earlier run (written below) without running again.
const saved = process.env.BENCH_FROM ? JSON.parse(readFileSync(process.env.BENCH_FROM, 'utf8')) : undefined;
const verify = saved?.verify ?? [];
if (!saved && !subset) {
  for (const alg of ['ES256', 'EdDSA']) verify.push(await runVerifyBench({ alg, count: 12_000, rounds: 5 }));
}
const http = saved?.http ?? (await runHttpBench({ requests: REQUESTS, rounds: ROUNDS, kinds: subset ?? ALL }));
// The raw rows first: a long run is never lost to a formatting error below.
writeFileSync(join(tmpdir(), 'nestjs-dpop-bench-raw.json'), JSON.stringify({ verify, http }, null, 2));

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const peer = http.rows.find((r) => r.kind === 'peer');
const cpu = (kind) => http.rows.find((r) => r.kind === kind).cpuPerRequest;
const names = {
  peer: 'Express 5 + express-oauth2-jwt-bearer, DPoP required (peer)',
  'express-ceiling': 'Express 5, no auth (HTTP ceiling)',
  'nest-express-ceiling': 'Nest 12 on Express, no auth (HTTP ceiling)',
  'nest-express-memory': 'Nest 12 on Express + @DpopBound(), memory store',
  'nest-express-memory-noyield': 'Nest 12 on Express + @DpopBound(), memory store, `yieldToEventLoop: false`',
  'nest-express-sqlite': 'Nest 12 on Express + @DpopBound(), SQLite store',
  'nest-fastify-ceiling': 'Nest 12 on Fastify, no auth (HTTP ceiling)',
  'nest-fastify-memory': 'Nest 12 on Fastify + @DpopBound(), memory store',
  'nest-fastify-memory-noyield': 'Nest 12 on Fastify + @DpopBound(), memory store, `yieldToEventLoop: false`',
  'nest-fastify-sqlite': 'Nest 12 on Fastify + @DpopBound(), SQLite store',
  'nest-express-postgres': 'Nest 12 on Express + @DpopBound(), PostgreSQL store',
  'nest-fastify-postgres': 'Nest 12 on Fastify + @DpopBound(), PostgreSQL store',
  'nest-express-mariadb': 'Nest 12 on Express + @DpopBound(), MariaDB store',
  'nest-fastify-mariadb': 'Nest 12 on Fastify + @DpopBound(), MariaDB store',
  'nest-express-redis': 'Nest 12 on Express + @DpopBound(), Redis store (node-redis)',
  'nest-fastify-redis': 'Nest 12 on Fastify + @DpopBound(), Redis store (node-redis)',
  'nest-express-ioredis': 'Nest 12 on Express + @DpopBound(), Redis store (ioredis)',
  'nest-fastify-ioredis': 'Nest 12 on Fastify + @DpopBound(), Redis store (ioredis)',
  'apollo-ceiling': 'GraphQL: Apollo (Express), unguarded `me` query (ceiling)',
  'apollo-memory': 'GraphQL: Apollo (Express), `me` with @DpopBound(), memory store',
  'mercurius-ceiling': 'GraphQL: Mercurius (Fastify), unguarded `me` query (ceiling)',
  'mercurius-memory': 'GraphQL: Mercurius (Fastify), `me` with @DpopBound(), memory store',
};
if (subset) {
  for (const r of http.rows) {
    console.log(
      `${r.kind}: ${fmt(r.rps)} req/s, ${fmt(r.cpuPerRequest)} µs CPU/req (runs ${r.cpuRuns.map(fmt).join(', ')}), ok ${r.ok}, failed ${r.failed} ${JSON.stringify(r.statuses)}`,
    );
  }
  process.exit(0);
}
const lines = [];
lines.push(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${arch()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. ` +
    `Command: \`npm run bench\`. Each row is the median of ${http.rounds} runs; the rounds of all rows interleave ` +
    '(every server runs once per round), so a slow spell of this shared virtual machine falls on every row alike; ' +
    'a row still moves by up to ±10% between sessions.',
);
lines.push('');
lines.push(
  '## Proof verification (one process, same proofs for every path; raw and DpopVerifierService take turns on ' +
    'blocks of 200 proofs; the round of 5 with the median ratio)',
);
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
  `## HTTP (${fmt(http.requests)} requests per run, ${http.connections} connections, 64 client keys, a unique proof per request; ` +
    `server ${http.pinned ? 'pinned to one core with taskset' : 'not pinned (no taskset)'}` +
    `${http.storesPinned?.length ? `; the store servers (${http.storesPinned.join(', ')}) on the load generator's core` : ''})`,
);
lines.push('');
lines.push('| server | req/s | p50 ms | p99 ms | server CPU µs/req | × peer req/s | 2xx | failed |');
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of http.rows) {
  lines.push(
    `| ${names[r.kind]} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuPerRequest)} | ${(r.rps / peer.rps).toFixed(2)}× | ${fmt(r.ok)} | ${fmt(r.failed)} |`,
  );
}
// Issue 16's floor: the framework's own cost (its no-auth ceiling) plus the one thing a returning client's request
// must pay for, one ES256 signature check (the raw node:crypto cost measured in this same run).
const rawEs256Micros = 1e6 / verify[0].raw;
for (const adapter of ['fastify', 'express']) {
  const ceiling = http.rows.find((r) => r.kind === `nest-${adapter}-ceiling`);
  lines.push(
    `| Floor: Nest on ${adapter === 'fastify' ? 'Fastify' : 'Express'} ceiling + one raw ES256 verify (${fmt(rawEs256Micros)} µs) | | | | ${fmt(ceiling.cpuPerRequest + rawEs256Micros)} | | | |`,
  );
}
lines.push('');
lines.push(
  `The option \`yieldToEventLoop\` (default true) in this run: Fastify ${fmt(cpu('nest-fastify-memory-noyield'))} → ` +
    `${fmt(cpu('nest-fastify-memory'))} µs, Express ${fmt(cpu('nest-express-memory-noyield'))} → ` +
    `${fmt(cpu('nest-express-memory'))} µs of server CPU per request (false → true).`,
);
lines.push('');
const guardDelta = (guarded, ceiling) => cpu(guarded) - cpu(ceiling);
lines.push('Server CPU the guard adds per request (guarded row minus the same stack unguarded):');
lines.push('');
lines.push('| stack | REST | GraphQL |');
lines.push('| --- | ---: | ---: |');
lines.push(
  `| Express / Apollo | ${fmt(guardDelta('nest-express-memory', 'nest-express-ceiling'))} µs | ${fmt(guardDelta('apollo-memory', 'apollo-ceiling'))} µs |`,
);
lines.push(
  `| Fastify / Mercurius | ${fmt(guardDelta('nest-fastify-memory', 'nest-fastify-ceiling'))} µs | ${fmt(guardDelta('mercurius-memory', 'mercurius-ceiling'))} µs |`,
);
lines.push('');
const ratio = (kind) => http.rows.find((r) => r.kind === kind).rps / peer.rps;
const vsMemory = (adapter, store) => cpu(`nest-${adapter}-${store}`) / cpu(`nest-${adapter}-memory`) - 1;
const within = (adapter, store, limit) => [
  `guard + ${store} store server CPU within ${limit * 100}% of the memory store (${adapter})`,
  vsMemory(adapter, store) <= limit,
  `${vsMemory(adapter, store) >= 0 ? '+' : ''}${(vsMemory(adapter, store) * 100).toFixed(1)}%`,
];
const fastifyFloor = cpu('nest-fastify-ceiling') + rawEs256Micros;
const targets = [
  [
    'verify ≥ 0.9× raw (ES256, issue 16)',
    verify[0].dpop / verify[0].raw >= 0.9,
    `${(verify[0].dpop / verify[0].raw).toFixed(2)}×`,
  ],
  [
    'Fastify + @DpopBound(), memory store ≤ 1.3 × (Fastify ceiling + raw ES256 verify) (issue 16)',
    cpu('nest-fastify-memory') <= 1.3 * fastifyFloor,
    `${fmt(cpu('nest-fastify-memory'))} µs vs ${fmt(fastifyFloor)} µs floor = ${(cpu('nest-fastify-memory') / fastifyFloor).toFixed(2)}×`,
  ],
  [
    'verify ≥ 0.9× raw (EdDSA)',
    verify[1].dpop / verify[1].raw >= 0.9,
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
  within('fastify', 'sqlite', 0.1),
  within('express', 'sqlite', 0.1),
  within('fastify', 'redis', 0.15),
  within('express', 'redis', 0.15),
  within('fastify', 'ioredis', 0.15),
  within('express', 'ioredis', 0.15),
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
writeSection('http', text);
