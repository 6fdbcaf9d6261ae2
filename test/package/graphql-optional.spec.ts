import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * GraphQL support never loads GraphQL: the guard reads the HTTP request from the
 * resolver's arguments, so no built file imports `graphql`, `@nestjs/graphql` or a
 * driver, and an app without them loads the package. `npm test` builds dist/ first.
 */
const GRAPHQL_IMPORT =
  /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"](?:graphql|@nestjs\/(?:graphql|apollo|mercurius)|@apollo\/server|mercurius)(?:\/[^'"]*)?['"]/;

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return /\.[cm]?js$/.test(entry.name) ? [path] : [];
  });
}

describe('GraphQL stays optional', () => {
  it('no built file imports graphql, @nestjs/graphql or a driver', () => {
    const files = jsFiles('dist');
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((file) => GRAPHQL_IMPORT.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the GraphQL pieces are in the main entry', () => {
    for (const build of ['dist/esm/index.js', 'dist/cjs/index.js']) {
      const source = readFileSync(build, 'utf8');
      expect(source).toMatch(/DpopGraphqlError/);
      expect(source).toMatch(/readGraphqlRequest/);
    }
  });
});
