// The HTTP benchmark: Nest with @DpopBound() vs Express 5 + express-oauth2-jwt-bearer (DPoP required),
// on the same pre-generated unique (token, proof) pairs, each server alone in its process (pinned to core 1
// with taskset when it exists), the load from this process (autocannon, loopback only, bounded count).
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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

/** A free loopback port from the OS (fixed ports collide with another benchmark running on the machine). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
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

/** Access tokens for `clients` keys and one unique proof per request, for `GET /api/me` or for `POST /graphql`. */
export async function makeWorkload({ clients = 64, requests, graphql = false }) {
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
        exp: now + 3600,
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
  const proofs = ({ method, path }) =>
    Array.from({ length: requests }, (_, i) => {
      const key = keys[i % clients];
      const claims = { jti: randomUUID(), htm: method, htu: `http://${HOST}${path}`, iat: now, ath: key.ath };
      const input = `${key.proofHeader}.${b64(claims)}`;
      return { authorization: `DPoP ${key.token}`, dpop: `${input}.${es256(input, key.privateKey)}` };
    });
  return { asJwk, pairs: proofs(graphql ? GRAPHQL : REST) };
}

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

async function startServer(kind, port, asJwk, pin, sqliteFile) {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server there (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [...profile, 'bench/servers.mjs', kind, String(port)];
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
            setupRequest: (req) => {
              const pair = pairs[next++ % pairs.length];
              req.headers = { host: HOST, authorization: pair.authorization, dpop: pair.dpop };
              if (target.contentType) req.headers['content-type'] = target.contentType;
              return req;
            },
            ...(target === GRAPHQL
              ? {
                  onResponse: (_status, body) => {
                    if (String(body).includes('"errors"')) graphqlErrors++;
                  },
                }
              : {}),
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

/** Runs every server kind on a workload of the same shape; returns one row per kind. */
export async function runHttpBench({ kinds, requests = 20_000, warmup = 3000, connections = 32 }) {
  const pin = hasTaskset();
  if (pin) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'dpop-http-bench-'));
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const rows = [];
  try {
    for (const kind of kinds) {
      // A fresh workload per server (same shape for every kind): on a slow or shared machine a run of all the
      // servers outlasts the servers' proof age (maxProofAge 300 s), and late proofs would be refused as stale.
      const { asJwk, pairs } = await makeWorkload({ requests: requests + warmup, graphql: isGraphql(kind) });
      const port = await freePort();
      const child = await startServer(kind, port, asJwk, pin, join(dir, `${kind}.sqlite`));
      const target = isGraphql(kind) ? GRAPHQL : REST;
      try {
        await load(port, pairs.slice(0, warmup), connections, target);
        const before = cpuTicks(child.pid);
        const result = await load(port, pairs.slice(warmup), connections, target);
        const seconds = result.seconds;
        const cpu = ((cpuTicks(child.pid) - before) / ticksPerSecond) * 1e6;
        const ok = result['2xx'] - result.graphqlErrors;
        rows.push({
          kind,
          rps: result.requests.total / seconds,
          p50: result.latency.p50,
          p99: result.latency.p99,
          cpuPerRequest: cpu / result.requests.total,
          ok,
          failed: result.non2xx + result.errors + result.graphqlErrors,
        });
      } finally {
        child.kill();
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, pinned: pin, requests, connections };
}
