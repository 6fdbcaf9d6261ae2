import { describe, expect, it } from 'vitest';
import { loadsPackage, runNode } from '../helpers/load-trace.js';

/**
 * The optional integrations stay optional: `nestjs-dpop/terminus` loads by import and require, and the main
 * entry loads neither `@nestjs/terminus` nor `@nestjs/swagger` (the OpenAPI support needs no import of it).
 * `npm test` builds dist/ first.
 */
const run = (script: string) => runNode(script).stdout;

describe('optional entries', () => {
  it('nestjs-dpop/terminus exposes the store health indicator, both ways', () => {
    const viaImport = run(`import('nestjs-dpop/terminus').then((m) => console.log(JSON.stringify(Object.keys(m))))`);
    expect(JSON.parse(viaImport)).toContain('DpopStoreHealthIndicator');
    const viaRequire = run(`console.log(JSON.stringify(Object.keys(require('nestjs-dpop/terminus'))))`);
    expect(JSON.parse(viaRequire)).toContain('DpopStoreHealthIndicator');
  });

  it('the main entry loads neither @nestjs/terminus nor @nestjs/swagger; the terminus entry does load terminus', () => {
    const main = runNode(`import('nestjs-dpop').then((m) => console.log(typeof m.DpopModule))`, true);
    expect(main.stdout).toBe('function');
    expect(loadsPackage(main.loaded, '@nestjs/common')).toBe(true); // the probe sees what is loaded
    expect(loadsPackage(main.loaded, '@nestjs/terminus')).toBe(false);
    expect(loadsPackage(main.loaded, '@nestjs/swagger')).toBe(false);
    const health = runNode(
      `import('nestjs-dpop/terminus').then((m) => console.log(typeof m.DpopStoreHealthIndicator))`,
      true,
    );
    expect(health.stdout).toBe('function');
    expect(loadsPackage(health.loaded, '@nestjs/terminus')).toBe(true);
  });
});
