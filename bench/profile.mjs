// npm run bench:profile: the guarded Nest servers (Fastify and Express, memory store) under the HTTP benchmark's
// load with a V8 CPU profile each, then self time grouped by owner (Nest, the adapter, this library, jose,
// node:crypto, node internals, V8/GC) and the top frames. Writes bench/PROFILE.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHttpBench } from './http-lib.mjs';
import { summarise } from './profile-summary.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dpop-profile-'));
process.env.BENCH_CPU_PROF = dir;
const kinds = (process.env.BENCH_PROFILE_KINDS ?? 'nest-fastify-memory,nest-express-memory').split(',');
const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
try {
  const { rows } = await runHttpBench({ kinds, requests });
  const out = [`# CPU profiles of the guarded servers (${requests} requests each, \`npm run bench:profile\`)`, ''];
  for (const kind of kinds) {
    const row = rows.find((r) => r.kind === kind);
    const { text } = summarise(JSON.parse(readFileSync(join(dir, `${kind}.cpuprofile`), 'utf8')), 20);
    out.push(
      `## ${kind}: ${Math.round(row.cpuPerRequest)} µs CPU per request, ${Math.round(row.rps)} req/s`,
      '',
      text,
      '',
    );
  }
  writeFileSync('bench/PROFILE.md', out.join('\n'));
  console.log(out.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
