// The consumer matrix's app cells: each starts from `nest new` of a real @nestjs/cli release and records,
// as code, every step a user takes on top of the generated project. Steps needed by nestjs-dpop itself are
// marked `ours: true`; the README names the same steps ("Testing with Jest").
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './util.mjs';

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/**
 * The README's "Testing with Jest" section: its two ```json blocks (package.json fragments), parsed as
 * written. The first is the Nest 11 line for jose; the second is Nest 12's Jest ESM mode.
 */
export function jestRecipes() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Testing with Jest');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const blocks = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map(([, body]) => JSON.parse(`{${body}}`));
  if (start < 0 || blocks.length !== 2) throw new Error('README.md: "Testing with Jest" must hold two json blocks');
  return { nest11: blocks[0], nest12: blocks[1] };
}

/** Packages every cell adds: panva's dpop (the spec's client), jose (the spec signs the access token). */
const SPEC_DEPENDENCIES = ['dpop@^2', 'jose@^6', 'typeorm@^1'];

/** Packages the README's code blocks import, per Nest major. */
const README_DEPENDENCIES = {
  11: [
    '@nestjs/config@^4',
    '@nestjs/typeorm@^11',
    '@nestjs/axios@^4',
    '@nestjs/swagger@^11',
    '@nestjs/terminus@^11',
    '@nestjs/graphql@^13',
    '@nestjs/apollo@^13',
    '@apollo/server@^5',
    'graphql@^16',
    'axios@^1',
    'oauth4webapi@^3',
    'redis@^5',
    'ioredis@^5',
  ],
  12: [
    '@nestjs/config@^12',
    '@nestjs/typeorm@^12',
    '@nestjs/axios@^12',
    '@nestjs/swagger@^12',
    '@nestjs/terminus@^12',
    '@nestjs/graphql@^14',
    '@nestjs/apollo@^14',
    '@apollo/server@^5',
    'graphql@^16',
    'axios@^1',
    'oauth4webapi@^3',
    'redis@^5',
    'ioredis@^5',
  ],
};

export const CELLS = [
  {
    name: 'nest11-cjs-jest',
    title: 'Nest 11 (nest new, @nestjs/cli 11): CommonJS + Jest',
    cli: '@nestjs/cli@11',
    newArgs: [],
    dependencies: [...SPEC_DEPENDENCIES, ...README_DEPENDENCIES[11]],
    /** The template's relative imports have no extension (CommonJS + Jest's resolver). */
    relativeImportSuffix: '',
    steps: [
      {
        ours: true,
        what: 'the README\'s Jest line (Testing with Jest): "transformIgnorePatterns" lets ts-jest compile jose and dpop (ESM only)',
        apply(app) {
          const pkg = readJson(join(app, 'package.json'));
          Object.assign(pkg.jest, jestRecipes().nest11);
          writeJson(join(app, 'package.json'), pkg);
        },
      },
    ],
  },
  {
    name: 'nest12-esm-vitest',
    title: 'Nest 12 (nest new, @nestjs/cli 12): ESM + Vitest (the template as generated)',
    cli: '@nestjs/cli@12',
    newArgs: ['--no-observe'],
    dependencies: [...SPEC_DEPENDENCIES, ...README_DEPENDENCIES[12]],
    relativeImportSuffix: '.js',
    steps: [],
  },
  {
    name: 'nest12-cjs-jest',
    title: 'Nest 12 (nest new, @nestjs/cli 12) switched to CommonJS + Jest',
    cli: '@nestjs/cli@12',
    newArgs: ['--no-observe'],
    dependencies: [...SPEC_DEPENDENCIES, ...README_DEPENDENCIES[12], 'jest@^30', 'ts-jest@^29', '@types/jest@^30'],
    relativeImportSuffix: '.js',
    steps: [
      {
        ours: false,
        what: 'package.json: drop "type": "module"; src/main.ts: `void bootstrap()` (no top-level await in CommonJS)',
        apply(app) {
          const pkg = readJson(join(app, 'package.json'));
          delete pkg.type;
          writeJson(join(app, 'package.json'), pkg);
          const main = join(app, 'src/main.ts');
          writeFileSync(main, readFileSync(main, 'utf8').replace(/^await bootstrap\(\);$/m, 'void bootstrap();'));
        },
      },
      {
        ours: false,
        what:
          'Vitest replaced by Jest in ESM mode as the README says (Nest 12 is ESM only and uses import.meta, which ' +
          'ts-jest cannot turn into CommonJS): `node --experimental-vm-modules jest`, ts-jest `useESM`, `.js` mapped',
        apply(app) {
          const pkg = readJson(join(app, 'package.json'));
          const recipe = jestRecipes().nest12;
          Object.assign(pkg.scripts, recipe.scripts);
          pkg.jest = recipe.jest;
          writeJson(join(app, 'package.json'), pkg);
          const tsconfig = readJson(join(app, 'tsconfig.json'));
          tsconfig.compilerOptions.types = ['jest', 'node'];
          writeJson(join(app, 'tsconfig.json'), tsconfig);
          for (const file of ['vitest.config.ts', 'vitest.config.e2e.ts']) rmSync(join(app, file), { force: true });
          // The template's e2e spec is wired to Vitest's e2e config; its unit spec runs under Jest as is.
          rmSync(join(app, 'test'), { recursive: true, force: true });
          delete pkg.scripts['test:e2e'];
          writeJson(join(app, 'package.json'), pkg);
        },
      },
    ],
  },
];
