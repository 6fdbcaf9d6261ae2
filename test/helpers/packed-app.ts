import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/**
 * A scratch app that installs the packed library (npm pack, not a link: a link would resolve a second copy
 * of @nestjs/*) next to `dependencies`, writes `file` with `source`, runs it with node and returns the JSON
 * its last output line holds. The folder is removed afterwards.
 */
export function runInPackedApp(options: {
  type: 'commonjs' | 'module';
  dependencies: Record<string, string>;
  file: string;
  source: string;
}): Record<string, unknown> {
  const work = mkdtempSync(join(tmpdir(), 'nestjs-dpop-app-'));
  try {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))!;
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({
        name: 'scratch-app',
        private: true,
        type: options.type,
        dependencies: { ...options.dependencies, 'nestjs-dpop': `file:./${tarball}` },
      }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: work,
      stdio: 'pipe',
    });
    writeFileSync(join(work, options.file), options.source);
    const out = execFileSync(process.execPath, ['--no-warnings', options.file], { cwd: work, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
