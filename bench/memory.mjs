// npm run bench:memory: memory per guarded request (Nest on Fastify + @DpopBound(), memory store), issue 16.
// 1. allocation per request: a sampling heap profile (objects already collected included) over 20,000 requests;
// 2. growth: the heap after a full GC every 20,000 requests over a 200,000-request run, with fresh proofs
//    (iat = now, signed as the load runs) and a 10 s acceptance window, so the store reaches its steady state
//    (live records ≈ rate × 11 s, within its 150,000 entries) and anything else that grows is a leak;
// 3. what stays: after the warm-up and after the run, the window is waited out, the store pruned and the heap
//    measured after a full GC: the difference is what 200,000 requests left behind.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { makeClients } from './http-lib.mjs';

const HOST = 'bench.local';
const HTU = `http://${HOST}/api/me`;
const TOTAL = Number(process.env.BENCH_MEMORY_REQUESTS ?? 200_000);
const CHUNK = 20_000;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const es256 = (input, key) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');

const { asJwk, keys: clients } = await makeClients({ lifetime: 7200 });
let next = 0;
function freshHeaders() {
  const client = clients[next++ % clients.length];
  const input = `${client.proofHeader}.${b64({ jti: randomUUID(), htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000), ath: client.ath })}`;
  return { host: HOST, authorization: `DPoP ${client.token}`, dpop: `${input}.${es256(input, client.privateKey)}` };
}

const port = 4890;
const child = spawn(process.execPath, ['--expose-gc', 'bench/servers.mjs', 'nest-fastify-memory-soak', String(port)], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, BENCH_AS_JWK: JSON.stringify(asJwk), BENCH_MEMORY: '1' },
});
await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const ask = (message) =>
  new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });

async function load(amount) {
  let ok = 0;
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/api/me`,
        connections: 16,
        amount,
        requests: [{ setupRequest: (req) => ({ ...req, headers: freshHeaders() }) }],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_c, status) => status === 200 && ok++);
  });
  if (ok !== amount) throw new Error(`${amount - ok} of ${amount} requests were not accepted`);
  return result;
}

/** Waits out the acceptance window (10 s + 1 s), so every record so far has expired, then prunes and measures. */
async function settled() {
  await new Promise((resolve) => setTimeout(resolve, 11_500));
  return ask('prune-heap');
}

try {
  await load(5000); // warm-up
  await ask('alloc-start');
  await load(CHUNK);
  const { allocated } = await ask('alloc-stop');
  const perRequest = allocated / CHUNK;
  const baseline = await settled();
  const samples = [];
  for (let done = 0; done < TOTAL; done += CHUNK) {
    await load(CHUNK);
    const { heapUsed, records } = await ask('heap');
    samples.push({ requests: done + CHUNK, heapMiB: heapUsed / 2 ** 20, records });
  }
  const final = await settled();
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
  const lines = [
    `Allocation per guarded request (sampled over ${CHUNK.toLocaleString('en-US')} requests): ${(perRequest / 1024).toFixed(1)} KiB`,
    '',
    `Heap after a full GC during a ${TOTAL.toLocaleString('en-US')}-request run (every request accepted), with the replay`,
    'records the store held then (those of the last ~11 s: they follow the request rate):',
    '',
    '| requests | heap used (MiB) | live replay records |',
    '| ---: | ---: | ---: |',
    ...samples.map(
      (s) =>
        `| ${s.requests.toLocaleString('en-US')} | ${s.heapMiB.toFixed(1)} | ${s.records.toLocaleString('en-US')} |`,
    ),
  ];
  const growth = final.heapUsed - baseline.heapUsed;
  lines.push(
    '',
    'With every record expired and pruned (11.5 s after the last request, then a full GC), what the server keeps',
    'besides its replay records:',
    '',
    `- after the warm-up (${(5000 + CHUNK).toLocaleString('en-US')} requests): ${mib(baseline.heapUsed)} MiB, ${baseline.records} records left`,
    `- after all ${(5000 + CHUNK + TOTAL).toLocaleString('en-US')} requests: ${mib(final.heapUsed)} MiB, ${final.records} records left`,
    `- growth: ${growth >= 0 ? '+' : ''}${mib(growth)} MiB (${(growth / TOTAL).toFixed(2)} bytes per request)`,
  );
  console.log(lines.join('\n'));
  const when = `Recorded ${new Date().toISOString().slice(0, 10)} on Node ${process.version} (Nest on Fastify, memory store).`;
  writeFileSync(
    'bench/MEMORY.md',
    `# Memory per guarded request (\`npm run bench:memory\`)\n\n${when}\n\n${lines.join('\n')}\n`,
  );
} finally {
  child.kill();
}
