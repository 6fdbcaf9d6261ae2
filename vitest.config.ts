import { defineConfig } from 'vitest/config';

// Nest needs legacy decorators and their design:paramtypes metadata; without
// emitDecoratorMetadata Nest silently injects undefined (see the canary test).
/** The test folders that mirror lib/'s concerns. */
const CONCERNS = [
  'module',
  'proof',
  'http',
  'access-token',
  'resource-server',
  'token-endpoint',
  'storage',
  'confirmation',
  'authorization-response',
  'internal',
  'openapi',
  'health',
  'observability',
  'check',
].join(',');

export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Tests mirror lib/: one folder per concern. *.e2e.spec.ts start real apps (project e2e).
          include: [`test/{${CONCERNS}}/**/*.spec.ts`],
          exclude: ['**/*.e2e.spec.ts'],
          setupFiles: ['reflect-metadata'],
        },
      },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['test/db/**/*.spec.ts'],
          setupFiles: ['reflect-metadata'],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [`test/{${CONCERNS}}/**/*.e2e.spec.ts`, 'test/sample/**/*.spec.ts'],
          exclude: ['test/sample/browser.spec.ts'],
          setupFiles: ['reflect-metadata'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'client',
          include: ['test/client/**/*.spec.ts'],
          setupFiles: ['reflect-metadata'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/sample/browser.spec.ts'],
          setupFiles: ['reflect-metadata'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.spec.ts'],
          setupFiles: ['reflect-metadata'],
          testTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'load',
          include: ['test/load/**/*.spec.ts'],
          setupFiles: ['reflect-metadata'],
          testTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'package',
          include: ['test/package/**/*.spec.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'consumer',
          include: ['test/package/**/*.consumer.ts'],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
