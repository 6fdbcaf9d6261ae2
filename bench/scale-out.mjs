// Scale-out on Redis (npm run bench:scale): 1, 2 and 4 Nest-on-Fastify API processes sharing one Redis
// (127.0.0.1:6379, one key prefix per run), loaded together with unique proofs plus replays of some of
// them sent to another process, often while the original is still in flight. Reports aggregate req/s and
// checks that every unique proof was accepted exactly once and every replay refused. Writes its section
// of bench/RESULTS.md (BENCH_NO_WRITE=1: print only). Not pinned: on a 2-core machine the processes,
// the load generator and Redis share the cores, so absolute numbers are small.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { makeWorkload } from './http-lib.mjs';
import { writeSection } from './results-file.mjs';

const UNIQUE = Number(process.env.BENCH_UNIQUE ?? 12_000);
const REPLAY_SHARE = 0.2;
const IN_FLIGHT = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCALES = (process.env.BENCH_SCALES ?? '1,2,4').split(',').map(Number);
const HOST = 'bench.local';

function startServer(port, asJwk, prefix) {
  const child = spawn(process.execPath, ['bench/servers.mjs', 'nest-fastify-redis', String(port)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_AS_JWK: JSON.stringify(asJwk), BENCH_REDIS_PREFIX: prefix },
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function send(agent, port, pair) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/api/me',
        headers: { host: HOST, authorization: pair.authorization, dpop: pair.dpop },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Unique proofs round-robin over the processes; each replay goes to another process, 1–48 requests later. */
function schedule(pairs, processes) {
  const plan = pairs.map((pair, index) => ({ pair, index, target: index % processes, replay: false }));
  const replays = Math.round(pairs.length * REPLAY_SHARE);
  for (let r = 0; r < replays; r++) {
    const index = Math.floor((r / replays) * (pairs.length - 1));
    const at = Math.min(plan.length, index + 1 + Math.floor(Math.random() * 48) + r);
    plan.splice(at, 0, { pair: pairs[index], index, target: (index + 1) % processes, replay: true });
  }
  return plan;
}

async function run(processes, workload, prefix) {
  const basePort = 4900 + processes * 10;
  const ports = Array.from({ length: processes }, (_, i) => basePort + i);
  const children = await Promise.all(ports.map((port) => startServer(port, workload.asJwk, prefix)));
  const agents = ports.map(() => new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT }));
  try {
    const warm = workload.pairs.slice(0, 500 * processes);
    await Promise.all(warm.map((pair, i) => send(agents[i % processes], ports[i % processes], pair)));
    const results = [];
    for (let round = 0; round < ROUNDS; round++) {
      const from = 500 * processes + round * UNIQUE;
      const pairs = workload.pairs.slice(from, from + UNIQUE);
      const plan = schedule(pairs, processes);
      const statuses = new Array(plan.length);
      let next = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < plan.length) {
            const i = next++;
            statuses[i] = await send(agents[plan[i].target], ports[plan[i].target], plan[i].pair);
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const accepted = new Array(pairs.length).fill(0);
      const other = new Map();
      plan.forEach(({ index }, i) => {
        if (statuses[i] === 200) accepted[index]++;
        else if (statuses[i] !== 401) other.set(statuses[i], (other.get(statuses[i]) ?? 0) + 1);
      });
      const replays = plan.length - pairs.length;
      results.push({
        requests: plan.length,
        rps: plan.length / seconds,
        unique: pairs.length,
        exactlyOnce: accepted.filter((n) => n === 1).length,
        twice: accepted.filter((n) => n > 1).length,
        replays,
        // with every unique proof accepted once, each 401 is the refusal of the second use of a proof
        replaysRefused: statuses.filter((status) => status === 401).length,
        other: Object.fromEntries(other),
      });
    }
    return results;
  } finally {
    for (const agent of agents) agent.destroy();
    for (const child of children) child.kill();
    await Promise.all(
      children.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))),
      ),
    );
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
for (const processes of SCALES) {
  const prefix = `dpop-bench-scale:${randomUUID().slice(0, 8)}:`;
  const workload = await makeWorkload({ requests: 500 * processes + UNIQUE * ROUNDS });
  const results = await run(processes, workload, prefix);
  const redis = new Redis(6379, '127.0.0.1');
  for (let cursor = '0', keys; ;) {
    [cursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if (cursor === '0') break;
  }
  await redis.quit();
  const sum = (key) => results.reduce((total, r) => total + r[key], 0);
  rows.push({
    processes,
    rps: median(results.map((r) => r.rps)),
    runs: results.map((r) => r.rps),
    requests: sum('requests'),
    unique: sum('unique'),
    exactlyOnce: sum('exactlyOnce'),
    twice: sum('twice'),
    replays: sum('replays'),
    replaysRefused: sum('replaysRefused'),
    other: results.map((r) => r.other),
  });
  console.log(JSON.stringify(rows.at(-1)));
}

const lines = [
  `## Scale-out: Nest on Fastify processes sharing one Redis (\`npm run bench:scale\`)`,
  '',
  `${cpus().length} cores shared by the API processes, the load generator (this process, ${IN_FLIGHT} requests in flight, ` +
    `keep-alive) and Redis 127.0.0.1:6379; RedisDpopStore.connect (node-redis). Each run: ${fmt(UNIQUE)} unique proofs ` +
    `round-robin over the processes plus ${REPLAY_SHARE * 100}% replays of them, each sent to another process 1–48 ` +
    `requests later (often while the original is in flight). ${ROUNDS} runs per row, req/s is the median; the ` +
    `counts add up all runs. The machine was shared with other engineers' test runs.`,
  '',
  '| API processes | req/s (median) | requests | unique proofs | accepted exactly once | accepted twice | replays | refused as replays (401) | other statuses |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.processes} | ${fmt(r.rps)} | ${fmt(r.requests)} | ${fmt(r.unique)} | ${fmt(r.exactlyOnce)} | ${fmt(r.twice)} | ` +
      `${fmt(r.replays)} | ${fmt(r.replaysRefused)} | ${r.other.every((o) => Object.keys(o).length === 0) ? 'none' : JSON.stringify(r.other)} |`,
  ),
];
console.log(`\n${lines.join('\n')}`);
if (!process.env.BENCH_NO_WRITE) writeSection('scale-out', lines.join('\n'));
