import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadsPackage, runNode } from '../helpers/load-trace.js';

/**
 * `nestjs-dpop/client` is its own entry of the built package: it loads by
 * import and by require, and the main entry loads neither oauth4webapi nor
 * axios (optional peers, for the client only). `npm test` builds dist/ first.
 */
const CLIENT_EXPORTS = [
  'DpopClientModule',
  'DpopHttpClient',
  'DpopAxiosInterceptor',
  'DpopProofSigner',
  'DpopTokenManager',
  'DpopClientError',
  'DpopClientConfigurationError',
];

const run = runNode;

describe('nestjs-dpop/client entry', () => {
  it('exists in dist/', () => {
    expect(existsSync('dist/esm/client/index.js')).toBe(true);
    expect(existsSync('dist/esm/client/index.d.ts')).toBe(true);
  });

  it('loads with import through the exports map', () => {
    const { stdout } = run(`import('nestjs-dpop/client').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(stdout)).toEqual(expect.arrayContaining(CLIENT_EXPORTS));
  });

  it('loads with require (require(esm)) through the exports map', () => {
    const { stdout } = run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop/client'))))`);
    expect(JSON.parse(stdout)).toEqual(expect.arrayContaining(CLIENT_EXPORTS));
  });

  it('the main entry loads neither oauth4webapi nor axios; the client entry loads oauth4webapi but not axios', () => {
    const main = run(`import('nestjs-dpop').then((m) => console.log(typeof m.DpopModule))`, true);
    expect(main.stdout).toBe('function');
    expect(loadsPackage(main.loaded, 'jose')).toBe(true); // the probe sees what is loaded
    expect(loadsPackage(main.loaded, 'oauth4webapi')).toBe(false);
    expect(loadsPackage(main.loaded, 'axios')).toBe(false);
    expect(loadsPackage(main.loaded, '@nestjs/axios')).toBe(false);

    const client = run(`import('nestjs-dpop/client').then((m) => console.log(typeof m.DpopHttpClient))`, true);
    expect(client.stdout).toBe('function');
    expect(loadsPackage(client.loaded, 'oauth4webapi')).toBe(true);
    expect(loadsPackage(client.loaded, 'axios')).toBe(false);
    expect(loadsPackage(client.loaded, '@nestjs/axios')).toBe(false);
  });

  it('the same holds for the CommonJS build (require): the main entry loads neither, the client entry oauth4webapi', () => {
    const loaded = (entry: string) =>
      JSON.parse(
        run(
          `require('${entry}'); const k = Object.keys(require.cache); console.log(JSON.stringify(` +
            `['jose', 'oauth4webapi', 'axios', '@nestjs/axios'].map((n) => k.some((f) => f.includes('/node_modules/' + n + '/')))))`,
        ).stdout,
      ) as boolean[];
    expect(loaded('nestjs-dpop')).toEqual([true, false, false, false]); // the probe sees jose, loaded by require(esm)
    expect(loaded('nestjs-dpop/client')).toEqual([true, true, false, false]);
  });

  it('the main entry does not re-export the client', () => {
    const { stdout } = run(`import('nestjs-dpop').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(stdout)).not.toContain('DpopHttpClient');
  });
});
