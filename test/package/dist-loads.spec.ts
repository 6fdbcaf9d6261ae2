import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The built package (dist/, through the exports map) loads both ways: `import` gets the ESM build
 * (dist/esm), `require` the CommonJS build (dist/cjs, whose package.json says "type": "commonjs").
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

function run(script: string, inputType: 'commonjs' | 'module' = 'commonjs'): string {
  return execFileSync(process.execPath, ['--no-warnings', `--input-type=${inputType}`, '-e', script], {
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();
}

describe('built package', () => {
  it('exists (npm run build wrote both builds)', () => {
    for (const build of ['esm', 'cjs']) {
      expect(existsSync(`dist/${build}/index.js`)).toBe(true);
      expect(existsSync(`dist/${build}/index.d.ts`)).toBe(true);
    }
    expect(JSON.parse(readFileSync('dist/cjs/package.json', 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('import resolves to the ESM build and require to the CommonJS build, for every entry', () => {
    for (const [entry, file] of [
      ['nestjs-dpop', 'index.js'],
      ['nestjs-dpop/typeorm', 'storage/typeorm/index.js'],
      ['nestjs-dpop/confirmation', 'confirmation/index.js'],
      ['nestjs-dpop/client', 'client/index.js'],
    ]) {
      expect(run(`console.log(import.meta.resolve('${entry}'))`, 'module')).toMatch(new RegExp(`/dist/esm/${file}$`));
      expect(run(`console.log(require.resolve('${entry}'))`)).toMatch(new RegExp(`/dist/cjs/${file}$`));
    }
  });

  it('the CommonJS build is CommonJS: it loads with require without require(esm) of our own files', () => {
    // jose (ESM only) is still loaded through require(esm); our files are plain CommonJS modules.
    const out = run(
      `const m = require('nestjs-dpop'); const mod = require.cache[require.resolve('nestjs-dpop')]; ` +
        `console.log(JSON.stringify({ cjs: mod !== undefined && typeof mod.exports.DpopModule === 'function', same: mod.exports === m }))`,
    );
    expect(JSON.parse(out)).toEqual({ cjs: true, same: true });
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

  it('exposes the RFC 7800 recipient helpers as the nestjs-dpop/confirmation entry, both ways', () => {
    const names = ['resolveConfirmation', 'verifyPossession', 'createConfirmation', 'parseConfirmation'];
    const viaImport = run(
      `import('nestjs-dpop/confirmation').then((m) => console.log(JSON.stringify(Object.keys(m))))`,
    );
    expect(JSON.parse(viaImport)).toEqual(expect.arrayContaining(names));
    const viaRequire = run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop/confirmation'))))`);
    expect(JSON.parse(viaRequire)).toEqual(expect.arrayContaining(names));
  });

  it('keeps internals out of the main entry', () => {
    const keys = JSON.parse(run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop'))))`)) as string[];
    for (const internal of [
      'resolveDpopOptions',
      'DPOP_DEFAULTS',
      'escapeHtml',
      'resolveConfirmation',
      'verifyPossession',
    ]) {
      expect(keys).not.toContain(internal);
    }
    expect(keys).toEqual(expect.arrayContaining(['InjectDpopOptions', 'getDpopOptionsToken', 'SkipDpop', 'DpopError']));
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
    for (const deep of ['nestjs-dpop/dist/cjs/options/resolve-dpop-options.js', 'nestjs-dpop/dist/esm/index.js']) {
      expect(() => run(`require('${deep}')`)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
  });
});
