import { spawnSync } from 'node:child_process';

/**
 * Runs `script` in a fresh Node process; with `trace`, also lists every file it loaded from node_modules
 * (through a module-loader hook, so ESM packages loaded by require(esm) are seen too).
 */

/** A module-loader hook that prints every file URL loaded from node_modules to stderr. */
const TRACE_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    `export async function load(url, context, next) {
       if (url.includes('/node_modules/')) process._rawDebug('LOADED ' + url);
       return next(url, context);
     }`,
  );
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(TRACE_HOOK)});`)}`;

export function runNode(script: string, trace = false): { stdout: string; loaded: string[] } {
  const args = [...(trace ? ['--import', REGISTER] : []), '--no-warnings', '-e', script];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node exited ${result.status}: ${result.stderr}`);
  const loaded = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length));
  return { stdout: result.stdout.trim(), loaded };
}

export const loadsPackage = (loaded: string[], name: string) =>
  loaded.some((url) => url.includes(`/node_modules/${name}/`));
