// One app cell of the consumer matrix: `nest new` (cached, with its npm install), the user's steps, the
// packed package, our files (a @DpopBound() controller, a spec making one DPoP request), then the app's own
// `tsc`, its own default test command, the README's blocks under its compiler settings, and a boot.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readmeBlockFiles } from './readme-blocks.mjs';
import { cached, installTarball, must, packageDependencies, ROOT, run, tail } from './util.mjs';

const OVERLAY = join(ROOT, 'test/consumers/app');
/** Bump when the way a cell is made changes (the cache key includes it). */
const RECIPE = 2;

/**
 * Makes (or reuses) the installed template of a cell: `nest new`, then `npm install` of the packages the spec
 * and the README blocks import. The generated files are kept aside (`pristine/`): every run starts from them.
 */
function template(cell, tarball) {
  const key = {
    RECIPE,
    cell: cell.name,
    cli: cell.cli,
    newArgs: cell.newArgs,
    deps: cell.dependencies,
    pkg: packageDependencies(),
  };
  const { dir, hit } = cached(cell.name, key, (tmp) => {
    must(
      'npx',
      ['-y', cell.cli, 'new', 'app', '--skip-git', '--skip-install', '--package-manager', 'npm', ...cell.newArgs],
      {
        cwd: tmp,
      },
    );
    const app = join(tmp, 'app');
    // The tarball brings jose (our dependency); it is replaced by the current build on every run.
    must('npm', ['install', '--loglevel=error', ...cell.dependencies, tarball], { cwd: app, timeout: 900_000 });
    cpSync(app, join(tmp, 'pristine'), { recursive: true, filter: (source) => !source.includes('/node_modules') });
  });
  return { app: join(dir, 'app'), pristine: join(dir, 'pristine'), hit };
}

/** Puts the generated files back (node_modules stays), so no step or file of an earlier run is left. */
function reset(app, pristine) {
  for (const entry of readdirSync(app)) {
    if (entry !== 'node_modules') rmSync(join(app, entry), { recursive: true, force: true });
  }
  cpSync(pristine, app, { recursive: true });
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** `npm run build`, then `node dist/main.js`: it must answer GET /orders with the DPoP challenge. */
async function boot(app, env = {}) {
  must('npm', ['run', 'build'], { cwd: app, env });
  const port = await freePort();
  const child = spawn('node', ['dist/main.js'], { cwd: app, env: { ...process.env, ...env, PORT: String(port) } });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    for (let i = 0; i < 120; i++) {
      if (child.exitCode !== null) throw new Error(`the app exited ${child.exitCode}:\n${tail(log)}`);
      const response = await fetch(`http://127.0.0.1:${port}/orders`).catch(() => undefined);
      if (response) {
        const challenge = response.headers.get('www-authenticate') ?? '';
        if (response.status !== 401 || !challenge.startsWith('DPoP ')) {
          throw new Error(`GET /orders answered ${response.status} "${challenge}", expected 401 with a DPoP challenge`);
        }
        return `GET /orders → 401 ${challenge.slice(0, 40)}…`;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the app did not listen within 60 s:\n${tail(log)}`);
  } finally {
    child.kill('SIGTERM');
  }
}

/** Copies our files into the app with the cell's relative-import style. */
function overlay(cell, app) {
  for (const file of readdirSync(OVERLAY)) {
    const source = readFileSync(join(OVERLAY, file), 'utf8').replace(
      /(from '\.\/[\w.-]+?)\.js'/g,
      `$1${cell.relativeImportSuffix}'`,
    );
    writeFileSync(join(app, 'src', file), source);
  }
}

/** The README's blocks in `readme-blocks/`, type-checked with the app's tsconfig.json settings. */
function readmeCheck(app) {
  const dir = join(app, 'readme-blocks');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const files = readmeBlockFiles(join(ROOT, 'README.md'));
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  writeFileSync(
    join(app, 'tsconfig.readme.json'),
    JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { noEmit: true, incremental: false },
      include: ['readme-blocks'],
    }),
  );
  try {
    must(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.readme.json'], { cwd: app });
  } finally {
    // Out of the way of the app's own tsc and nest build.
    rmSync(dir, { recursive: true, force: true });
  }
  return `${Object.keys(files).length} blocks`;
}

/** The app's own test command; returns its summary line. */
function npmTest(app, env = {}) {
  const test = run('npm', ['test'], { cwd: app, env: { NO_COLOR: '1', FORCE_COLOR: '0', ...env } });
  if (test.status !== 0) throw new Error(`npm test failed:\n${tail(test.output, 60)}`);
  return (test.output.match(/Tests:.*|Tests\s+\d+ passed.*/)?.[0] ?? 'passed').trim();
}

/**
 * The cheap parts again on another Node (`nodeBin`: its folder goes first on PATH, so npm, the test runner
 * and the app all run on it): the app's test command and the boot. Call after runCell.
 */
export async function rerunCellOnNode(cell, nodeBin, log) {
  const { app } = template(cell, undefined);
  const env = { PATH: `${nodeBin}:${process.env.PATH}` };
  log(`  node ${must('node', ['--version'], { env }).trim()}: npm test: ${npmTest(app, env)}`);
  log(`  node ${must('node', ['--version'], { env }).trim()}: boot: ${await boot(app, env)}`);
}

/** Runs one cell; returns its rows for the report. Throws on the first failure. */
export async function runCell(cell, tarball, log) {
  const started = Date.now();
  const { app, pristine, hit } = template(cell, tarball);
  log(
    `  template ${hit ? 'from the cache' : `made and installed in ${Math.round((Date.now() - started) / 1000)} s`} (${app})`,
  );
  reset(app, pristine);
  for (const step of cell.steps) step.apply(app);
  installTarball(app, tarball);
  overlay(cell, app);
  const version = (name) => JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')).version;
  log(`  @nestjs/core ${version('@nestjs/core')}, typescript ${version('typescript')}, node ${process.version}`);
  for (const step of cell.steps)
    log(`  user step${step.ours ? ' (for nestjs-dpop)' : ' (for Nest 12, not for nestjs-dpop)'}: ${step.what}`);

  must(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'], { cwd: app });
  log('  tsc --noEmit: clean');
  log(`  README blocks: ${readmeCheck(app)} compile`);
  log(`  npm test: ${npmTest(app)}`);
  log(`  boot: ${await boot(app)}`);
  log(`  ${Math.round((Date.now() - started) / 1000)} s`);
}
