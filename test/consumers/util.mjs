// Shared helpers of the consumer matrix: running commands, the install cache, the packed package.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Installed templates and type-check folders live here between runs (keyed by what they were made from),
 * so only the first run pays for `nest new` and `npm install`. Override with NESTJS_DPOP_MATRIX_CACHE.
 */
export const CACHE = process.env.NESTJS_DPOP_MATRIX_CACHE ?? join(homedir(), '.cache', 'nestjs-dpop-matrix');

const QUIET = { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

/** Runs a command; returns { status, output } (stdout + stderr), never throws. */
export function run(command, args, { cwd, env = {}, timeout = 600_000 } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...QUIET, ...env },
    encoding: 'utf8',
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { status: result.status ?? 1, output };
}

/** Runs a command and throws with its output when it fails. */
export function must(command, args, options) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${options?.cwd ?? '.'}) exited ${result.status}:\n${tail(result.output)}`,
    );
  }
  return result.output;
}

export const tail = (text, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

export const hash = (value) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

/** `npm pack` of this repository (dist/ must be built) into `dir`; returns the tarball's path. */
export function pack(dir) {
  mkdirSync(dir, { recursive: true });
  const name = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...QUIET },
  })
    .trim()
    .split('\n')
    .pop();
  return join(dir, name);
}

/**
 * Puts the packed package into `app`'s node_modules as npm would (a copy of the tarball's files, never a
 * link: a link would resolve a second copy of @nestjs/* and break DI). Its dependency (jose) was installed
 * with the cached folder, whose key includes the package's dependencies.
 */
export function installTarball(app, tarball) {
  const target = join(app, 'node_modules', 'nestjs-dpop');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  must('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
}

/** The package's own dependency ranges: part of every cache key. */
export function packageDependencies() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return { dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies };
}

/**
 * A cached folder: `make(tmpDir)` runs only when `key` has no ready folder yet; the result is moved into
 * place atomically. Returns the folder.
 */
export function cached(name, key, make) {
  const dir = join(CACHE, `${name}-${hash(key)}`);
  if (existsSync(join(dir, '.ready'))) return { dir, hit: true };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  make(tmp);
  writeFileSync(join(tmp, '.ready'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  // Older folders of the same name are stale: drop them so the cache does not grow without bound.
  for (const entry of readdirSync(CACHE)) {
    if (entry.startsWith(`${name}-`) && join(CACHE, entry) !== dir)
      rmSync(join(CACHE, entry), { recursive: true, force: true });
  }
  return { dir, hit: false };
}
