// The HTTP benchmark: Nest with @DpopBound() vs Express 5 + express-oauth2-jwt-bearer (DPoP required),
// on the same workload (64 client keys and tokens, a pre-generated unique proof per request, made afresh for
// each server so that every iat is recent), each server alone in its process (pinned to core 1
// with taskset when it exists), the load from this process (autocannon, loopback only, bounded count) on core 0,
// and the shared stores' servers of this machine (Redis, PostgreSQL, MariaDB) moved to core 0 for the run.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

const ISSUER = 'https://as.bench.local';
const AUDIENCE = 'https://api.bench.local';
const HOST = 'bench.local';
/** What each kind of server is asked: REST `GET /api/me`, or the GraphQL `me` query by `POST /graphql`. */
const REST = { method: 'GET', path: '/api/me' };
const GRAPHQL = {
  method: 'POST',
  path: '/graphql',
  contentType: 'application/json',
  body: JSON.stringify({ query: '{ me { ok jkt } }' }),
};
const isGraphql = (kind) => kind.startsWith('apollo-') || kind.startsWith('mercurius-');
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const es256 = (input, key) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');

function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '1', 'true']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves the shared stores' servers running on this machine (Redis, PostgreSQL, MariaDB: every thread of each) to
 * core 0, the load generator's, and returns what puts them back. Left on both cores, they run on the measured
 * server's core too, and their context switches and cache misses show up in its CPU per request: on a 2-core
 * machine the Redis rows moved by ±20% from run to run. In a deployment they run on other machines. Processes this
 * user may not re-pin are left alone; BENCH_PIN_STORES=0 (or no taskset: `pin` false) leaves them all.
 */
function pinStoreServers(pin) {
  const moved = [];
  if (!pin || process.env.BENCH_PIN_STORES === '0') return { names: [], restore() {} };
  for (const name of ['redis-server', 'postgres', 'mariadbd', 'mysqld']) {
    let pids;
    try {
      pids = execFileSync('pgrep', ['-x', name], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .split('\n')
        .filter(Boolean);
    } catch {
      continue; // none running here
    }
    for (const pid of pids) {
      try {
        // "pid 123's current affinity list: 0,1"
        const before = execFileSync('taskset', ['-pc', pid], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim()
          .split(': ')
          .pop();
        execFileSync('taskset', ['-a', '-pc', '0', pid], { stdio: 'ignore' });
        moved.push({ name, pid, before });
      } catch {
        // gone, or not this user's to move
      }
    }
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const { pid, before } of moved) {
      try {
        execFileSync('taskset', ['-a', '-pc', before, pid], { stdio: 'ignore' });
      } catch {
        // it exited meanwhile
      }
    }
  };
  // Put them back also when the run is interrupted.
  process.once('exit', restore);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      restore();
      process.exit(130);
    });
  }
  return { names: [...new Set(moved.map((m) => m.name))], restore };
}

/**
 * An access-token issuer and `clients` DPoP keys, each with a bound access token (valid `lifetime` seconds), its
 * `ath` and the proof header: what every workload of the benchmarks starts from.
 */
export async function makeClients({ clients = 64, lifetime = 3600 } = {}) {
  const as = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const asJwk = { ...as.publicKey.export({ format: 'jwk' }), kid: 'as', alg: 'ES256' };
  const now = Math.floor(Date.now() / 1000);
  const keys = await Promise.all(
    Array.from({ length: clients }, async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const header = b64({ alg: 'ES256', typ: 'at+jwt', kid: 'as' });
      const claims = b64({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: randomUUID(),
        iat: now,
        exp: now + lifetime,
        cnf: { jkt: await calculateJwkThumbprint(jwk) },
      });
      const token = `${header}.${claims}.${es256(`${header}.${claims}`, as.privateKey)}`;
      return {
        privateKey,
        proofHeader: b64({ typ: 'dpop+jwt', alg: 'ES256', jwk }),
        token,
        ath: createHash('sha256').update(token).digest('base64url'),
      };
    }),
  );
  return { asJwk, keys, now };
}

/** `requests` unique proofs (one per request, iat = now) from `clients`, round robin over their keys. */
export function makeProofs({ keys }, requests, graphql = false) {
  const { method, path } = graphql ? GRAPHQL : REST;
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: requests }, (_, i) => {
    const key = keys[i % keys.length];
    const claims = { jti: randomUUID(), htm: method, htu: `http://${HOST}${path}`, iat: now, ath: key.ath };
    const input = `${key.proofHeader}.${b64(claims)}`;
    return { authorization: `DPoP ${key.token}`, dpop: `${input}.${es256(input, key.privateKey)}` };
  });
}

/** Access tokens for `clients` keys and one unique proof per request. */
export async function makeWorkload({ clients = 64, requests, graphql = false }) {
  const made = await makeClients({ clients });
  return { asJwk: made.asJwk, pairs: makeProofs(made, requests, graphql) };
}

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

async function startServer(kind, port, asJwk, pin, sqliteFile) {
  // BENCH_CPU_PROF=<dir>: the server profiles itself from the end of the warm-up to its exit (<dir>/<kind>.cpuprofile).
  const args = ['bench/servers.mjs', kind, String(port)];
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...args] : args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_AS_JWK: JSON.stringify(asJwk), BENCH_SQLITE_FILE: sqliteFile },
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return child;
}

/** Runs the pairs through the server; `seconds` is first request to last response (autocannon's own duration is whole seconds). */
function load(port, pairs, connections, target = REST) {
  let next = 0;
  let responses = 0;
  let graphqlErrors = 0; // a refused GraphQL field may still come with 200 (Apollo): count the bodies with errors
  let finishedAt;
  const startedAt = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${target.path}`,
        method: target.method,
        connections,
        amount: pairs.length,
        headers: { host: HOST },
        requests: [
          {
            method: target.method,
            body: target.body,
            ...(target === GRAPHQL
              ? { onResponse: (_status, body) => void (String(body).includes('"errors"') && graphqlErrors++) }
              : {}),
            setupRequest: (req) => {
              const pair = pairs[next++ % pairs.length];
              req.headers = { host: HOST, authorization: pair.authorization, dpop: pair.dpop };
              if (target.contentType) req.headers['content-type'] = target.contentType;
              return req;
            },
          },
        ],
      },
      (error, result) => {
        if (error) reject(error);
        else {
          const seconds = Number((finishedAt ?? process.hrtime.bigint()) - startedAt) / 1e9;
          resolve({ ...result, seconds, graphqlErrors });
        }
      },
    );
    instance.on('response', () => {
      if (++responses === pairs.length) finishedAt = process.hrtime.bigint();
    });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs every server kind on the same kind of workload; one row per kind, the medians of `rounds` measured runs.
 * All servers are started (and warmed up) first; then each round runs every server in turn, so the rounds of
 * different kinds are interleaved and a slow spell of a shared machine falls on all of them, not on one row.
 * Proofs are signed just before each run (their iat must stay within the servers' 300 s window).
 */
export async function runHttpBench({ kinds, requests = 20_000, warmup = 3000, connections = 32, rounds = 1 }) {
  const pin = hasTaskset();
  if (pin) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const stores = pinStoreServers(pin);

  const dir = mkdtempSync(join(tmpdir(), 'dpop-http-bench-'));
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const servers = [];
  try {
    let port = 4810;
    for (const kind of kinds) {
      port++;
      const graphql = isGraphql(kind);
      const target = graphql ? GRAPHQL : REST;
      const clients = await makeClients();
      const child = await startServer(kind, port, clients.asJwk, pin, join(dir, `${kind}.sqlite`));
      servers.push({ kind, port, graphql, target, clients, child, runs: [] });
      await load(port, makeProofs(clients, warmup, graphql), connections, target);
    }
    if (process.env.BENCH_CPU_PROF) {
      for (const { child } of servers) {
        child.send('profile-start');
        await new Promise((resolve) => child.once('message', resolve));
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const server of servers) {
        const pairs = makeProofs(server.clients, requests, server.graphql);
        const before = cpuTicks(server.child.pid);
        const result = await load(server.port, pairs, connections, server.target);
        const cpu = ((cpuTicks(server.child.pid) - before) / ticksPerSecond) * 1e6;
        server.runs.push({
          rps: result.requests.total / result.seconds,
          p50: result.latency.p50,
          p99: result.latency.p99,
          cpuPerRequest: cpu / result.requests.total,
          ok: result['2xx'] - result.graphqlErrors,
          failed: result.non2xx + result.errors + result.graphqlErrors,
          statuses: Object.fromEntries(
            Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
          ),
        });
      }
    }
  } finally {
    for (const { child } of servers) {
      child.kill();
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    }
    rmSync(dir, { recursive: true, force: true });
    stores.restore();
  }
  const rows = servers.map(({ kind, runs }) => ({
    kind,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuPerRequest: median(runs.map((r) => r.cpuPerRequest)),
    cpuRuns: runs.map((r) => r.cpuPerRequest),
    ok: runs.reduce((sum, r) => sum + r.ok, 0),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    statuses: runs.map((r) => r.statuses),
  }));
  return { rows, pinned: pin, storesPinned: stores.names, requests, connections, rounds };
}
