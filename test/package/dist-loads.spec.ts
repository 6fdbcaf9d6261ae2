import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The built package (dist/, through the exports map) loads both ways:
 * `import` and `require` (Node's require(esm), as a CommonJS app does).
 * `npm test` builds dist/ first.
 */
const EXPORTS = [
  'DpopModule',
  'DpopVerifierService',
  'DpopNonceService',
  'DpopStore',
  'MemoryDpopStore',
  'jwkThumbprint',
];

function run(script: string): string {
  return execFileSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8', stdio: 'pipe' }).trim();
}

describe('built package', () => {
  it('exists (npm run build wrote dist/)', () => {
    expect(existsSync('dist/index.js')).toBe(true);
    expect(existsSync('dist/index.d.ts')).toBe(true);
  });

  it('loads with import through the exports map', () => {
    const out = run(`import('nestjs-dpop').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(out)).toEqual(expect.arrayContaining(EXPORTS));
  });

  it('loads with require (require(esm)) through the exports map', () => {
    const out = run(`const m = require('nestjs-dpop'); console.log(JSON.stringify(Object.keys(m)))`);
    expect(JSON.parse(out)).toEqual(expect.arrayContaining(EXPORTS));
  });

  it('exposes the TypeORM store as the nestjs-dpop/typeorm entry, both ways', () => {
    const names = ['TypeOrmDpopStore', 'DPOP_TYPEORM_ENTITIES', 'DPOP_TYPEORM_MIGRATIONS'];
    const viaImport = run(`import('nestjs-dpop/typeorm').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(viaImport)).toEqual(expect.arrayContaining(names));
    const viaRequire = run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop/typeorm'))))`);
    expect(JSON.parse(viaRequire)).toEqual(expect.arrayContaining(names));
  });

  it('does not load typeorm from the main entry (only from nestjs-dpop/typeorm)', () => {
    const loaded = (entry: string) =>
      run(
        `require('${entry}'); console.log(Object.keys(require.cache).some((f) => f.includes('/node_modules/typeorm/')))`,
      );
    expect(loaded('nestjs-dpop')).toBe('false');
    expect(loaded('nestjs-dpop/typeorm')).toBe('true'); // the probe does see typeorm when it is loaded
  });

  it('exposes the Redis store as the nestjs-dpop/redis entry, both ways', () => {
    const viaImport = run(`import('nestjs-dpop/redis').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(viaImport)).toEqual(['RedisDpopStore']);
    const viaRequire = run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop/redis'))))`);
    expect(JSON.parse(viaRequire)).toEqual(['RedisDpopStore']);
  });

  it('loads neither redis nor ioredis from the main entry, nor from nestjs-dpop/redis until connect()', () => {
    const probe = (entry: string) =>
      run(
        `(async () => { await import('${entry}'); ` +
          `const libs = ['redis', '@redis', 'ioredis'].filter((name) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/'))); ` +
          `console.log(JSON.stringify(libs)); process.exit(0); })()`,
      );
    expect(probe('nestjs-dpop')).toBe('[]');
    expect(probe('nestjs-dpop/redis')).toBe('[]');
    // the probe does see a library once connect() has imported it (nothing needs to listen for that)
    const loaded = run(
      `(async () => { const { RedisDpopStore } = await import('nestjs-dpop/redis'); ` +
        `await RedisDpopStore.connect('redis://127.0.0.1:1', { client: 'ioredis', connectTimeoutMs: 200 }).catch(() => {}); ` +
        `console.log(Object.keys(require.cache).some((f) => f.includes('/node_modules/ioredis/'))); process.exit(0); })()`,
    );
    expect(loaded.split('\n').at(-1)).toBe('true'); // the last line: the store may log the refused connection
  });

  it('refuses deep imports (only the public entry is exported)', () => {
    expect(() => run(`require('nestjs-dpop/dist/dpop.options.js')`)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
