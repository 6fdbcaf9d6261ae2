// The type-check matrix: TypeScript 5.4, 5.8 and 6.0 × module resolution (nodenext and node16 from a
// CommonJS and from an ESM package, node10, bundler) over a consumer that imports every entry, plus the
// README's blocks, against the packed package. Each row has an expected outcome; TS 6 refuses node10.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeBlockFiles } from './readme-blocks.mjs';
import { cached, installTarball, must, packageDependencies, ROOT, tail } from './util.mjs';

const TYPESCRIPTS = { 5.4: 'ts54', 5.8: 'ts58', '6.0': 'ts60' };
const DEPENDENCIES = [
  'ts54@npm:typescript@~5.4.0',
  'ts58@npm:typescript@~5.8.0',
  'ts60@npm:typescript@~6.0.0',
  '@nestjs/common@^11',
  '@nestjs/core@^11',
  '@nestjs/config@^4',
  '@nestjs/typeorm@^11',
  '@nestjs/swagger@^11',
  '@nestjs/terminus@^11',
  '@nestjs/graphql@^13',
  '@nestjs/apollo@^13',
  '@apollo/server@^5',
  'graphql@^16',
  'redis@^5',
  'ioredis@^5',
  '@nestjs/axios@^4',
  'axios@^1',
  'oauth4webapi@^3',
  'typeorm@^1',
  'reflect-metadata@^0.2',
  'rxjs@^7',
  '@types/node@^20',
];

/** Resolution rows: the compiler options and the package type of the consumer's folder. */
const RESOLUTIONS = {
  'nodenext, CommonJS app': { folder: 'cjs', module: 'nodenext', moduleResolution: 'nodenext' },
  'nodenext, ESM app': { folder: 'esm', module: 'nodenext', moduleResolution: 'nodenext' },
  'node16, CommonJS app': { folder: 'cjs', module: 'node16', moduleResolution: 'node16' },
  'node16, ESM app': { folder: 'esm', module: 'node16', moduleResolution: 'node16' },
  'node (node10), CommonJS': { folder: 'cjs', module: 'commonjs', moduleResolution: 'node' },
  'node (node10) + ignoreDeprecations': {
    folder: 'cjs',
    module: 'commonjs',
    moduleResolution: 'node',
    ignoreDeprecations: '6.0',
    onlyFrom: '6.0',
  },
  bundler: { folder: 'esm', module: 'esnext', moduleResolution: 'bundler' },
};

/**
 * What TypeScript 6 says about node10: "error TS5107: Option 'moduleResolution=node10' is deprecated and will
 * stop functioning in TypeScript 7.0. Specify compilerOption '"ignoreDeprecations": "6.0"' to silence this
 * error." The row must be refused with that error; with ignoreDeprecations it must compile.
 */
const TS6_NODE10 = /error TS5107: Option 'moduleResolution=node10' is deprecated/;
const expected = (ts, resolution) => (ts === '6.0' && resolution === 'node (node10), CommonJS' ? 'refused' : 'clean');

const tsc = (dir, bin, project) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join('..', 'node_modules', bin, 'bin', 'tsc'), '-p', project], { cwd: dir });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (status) => resolve({ status, output }));
  });

export async function runTypesMatrix(tarball, log) {
  const started = Date.now();
  const { dir, hit } = cached('types', { deps: DEPENDENCIES, pkg: packageDependencies() }, (tmp) => {
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'types-matrix', private: true }));
    must('npm', ['install', '--loglevel=error', ...DEPENDENCIES, tarball], { cwd: tmp, timeout: 900_000 });
  });
  log(`  folder ${hit ? 'from the cache' : `installed in ${Math.round((Date.now() - started) / 1000)} s`} (${dir})`);
  installTarball(dir, tarball);
  const readme = readmeBlockFiles(join(ROOT, 'README.md'));
  for (const [folder, type] of [
    ['cjs', 'commonjs'],
    ['esm', 'module'],
  ]) {
    const work = join(dir, folder);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work);
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type }));
    cpSync(join(ROOT, 'test/consumers/types/consumer.ts'), join(work, 'consumer.ts'));
    for (const [name, source] of Object.entries(readme)) writeFileSync(join(work, name), source);
  }
  const jobs = [];
  for (const [ts, bin] of Object.entries(TYPESCRIPTS)) {
    for (const [resolution, { folder, module, moduleResolution, ignoreDeprecations, onlyFrom }] of Object.entries(
      RESOLUTIONS,
    )) {
      if (onlyFrom !== undefined && Number(ts) < Number(onlyFrom)) continue;
      const project = `tsconfig.${bin}.${module}.${moduleResolution}${ignoreDeprecations ? '.ignore' : ''}.json`;
      const compilerOptions = {
        target: 'ES2022',
        module,
        moduleResolution,
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        isolatedModules: true,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        noEmit: true,
        ...(ignoreDeprecations ? { ignoreDeprecations } : {}),
      };
      writeFileSync(join(dir, folder, project), JSON.stringify({ compilerOptions, include: ['*.ts'] }, null, 2));
      jobs.push({ ts, bin, resolution, folder, project });
    }
  }
  // Two compilers at a time: the machine may be shared.
  const results = [];
  const queue = [...jobs];
  await Promise.all(
    [0, 1].map(async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        results.push({ ...job, ...(await tsc(join(dir, job.folder), job.bin, job.project)) });
      }
    }),
  );
  const failures = [];
  for (const job of jobs) {
    const result = results.find((r) => r.project === job.project && r.folder === job.folder);
    const outcome = result.status === 0 ? 'clean' : 'refused';
    const want = expected(job.ts, job.resolution);
    const firstError = result.output.split('\n').find((line) => /error TS\d+/.test(line)) ?? '';
    log(
      `  TypeScript ${job.ts.padEnd(3)} ${job.resolution.padEnd(36)} ${outcome}${outcome === 'clean' ? '' : `: ${firstError.trim()}`}`,
    );
    if (outcome !== want || (want === 'refused' && !TS6_NODE10.test(result.output))) {
      failures.push(
        `TypeScript ${job.ts}, ${job.resolution}: expected ${want}, got ${outcome}:\n${tail(result.output, 30)}`,
      );
    }
  }
  log(
    `  ${jobs.length} compilations over consumer.ts + ${Object.keys(readme).length} README blocks, ${Math.round((Date.now() - started) / 1000)} s`,
  );
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}
