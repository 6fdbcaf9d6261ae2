// Summarises a V8 CPU profile (.cpuprofile, from node --cpu-prof): self time grouped by owner (Nest, the HTTP
// adapter, this library's dist/, jose, node:crypto and other node internals, V8/GC, …) and the top frames.
//   node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const OWNERS = [
  ['nestjs-dpop (dist/)', (url) => /\/dist\//.test(url) && !url.includes('node_modules')],
  ['bench harness', (url) => /\/bench\//.test(url)],
  ['Nest core', (url) => /node_modules\/@nestjs\/(core|common)\//.test(url)],
  [
    'adapter: Fastify',
    (url) => /node_modules\/(@nestjs\/platform-fastify|fastify|find-my-way|light-my-request|@fastify|avvio)/.test(url),
  ],
  [
    'adapter: Express',
    (url) =>
      /node_modules\/(@nestjs\/platform-express|express|router|body-parser|finalhandler|send|qs|path-to-regexp)/.test(
        url,
      ),
  ],
  ['jose', (url) => /node_modules\/jose\//.test(url)],
  ['rxjs', (url) => /node_modules\/rxjs\//.test(url)],
  ['other packages', (url) => url.includes('node_modules')],
  [
    'node:crypto',
    (url, name) =>
      /node:internal\/crypto|internal\/crypto/.test(url) ||
      /^(verify|Verify|createHash|Hash|digest|update)$/.test(name),
  ],
  ['node internals (http, net, streams, timers)', (url) => url.startsWith('node:') || url.startsWith('internal/')],
];

function ownerOf(node) {
  const { url, functionName: name } = node.callFrame;
  if (!url) {
    if (name === '(garbage collector)') return 'V8: GC';
    if (name === '(idle)' || name === '(program)') return `V8: ${name}`;
    return 'V8 / native';
  }
  for (const [owner, test] of OWNERS) if (test(url, name)) return owner;
  return 'other';
}

export function summarise(profile, top = 25) {
  const selfMicros = new Map();
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  // Each sample's delta goes to the node sampled.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const owners = new Map();
  const frames = new Map();
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id);
    const owner = ownerOf(node);
    if (owner === 'V8: (idle)') continue;
    busy += micros;
    owners.set(owner, (owners.get(owner) ?? 0) + micros);
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|bench)\//, '$1/')}:${lineNumber + 1}`;
    frames.set(key, (frames.get(key) ?? 0) + micros);
  }
  const pct = (v) => `${((100 * v) / busy).toFixed(1)}%`;
  const lines = [
    `busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms profiled`,
    '',
    '| owner | self time | share |',
    '| --- | ---: | ---: |',
  ];
  for (const [owner, micros] of [...owners].sort((a, b) => b[1] - a[1])) {
    lines.push(`| ${owner} | ${(micros / 1000).toFixed(0)} ms | ${pct(micros)} |`);
  }
  lines.push('', '| top self-time frames | share |', '| --- | ---: |');
  for (const [frame, micros] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`| \`${frame}\` | ${pct(micros)} |`);
  }
  return { busy, owners: Object.fromEntries(owners), text: lines.join('\n') };
}

if (process.argv[1]?.endsWith('profile-summary.mjs') && process.argv[2]) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  console.log(summarise(profile, Number(process.argv[3] ?? 25)).text);
}
