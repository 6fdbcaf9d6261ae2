import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };

/** The built bin, as package.json names it (npm test builds dist/ first). */
export const BIN = join(process.cwd(), manifest.bin['nestjs-dpop']!);

export interface CheckRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/esm/check/cli.js ...args` as a child process, without blocking this process's servers. */
export function runCheck(args: string[]): Promise<CheckRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes a JWK to a fresh temporary file and returns its path. */
export function jwkFile(jwk: JWK): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dpop-check-')), 'key.json');
  writeFileSync(file, JSON.stringify(jwk));
  return file;
}

export interface JsonCase {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  observed: string;
  hint?: string;
}

/** The `--json` document's cases by id. */
export function casesOf(run: CheckRun): Map<string, JsonCase> {
  const report = JSON.parse(run.stdout) as { cases: JsonCase[] };
  return new Map(report.cases.map((item) => [item.id, item]));
}
