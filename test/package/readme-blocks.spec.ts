import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jestRecipes } from '../consumers/cells.mjs';
import { blockModule, extractTsBlocks } from '../consumers/readme-blocks.mjs';

/**
 * The consumer matrix compiles every ```ts block of README.md in every cell (test/consumers/): here, that
 * the extraction finds them all and that the prelude only adds what a block lacks.
 */
describe('README blocks for the consumer matrix', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('finds every ```ts block', () => {
    const fences = readme.split('\n').filter((line) => line.trim() === '```ts').length;
    const blocks = extractTsBlocks(readme);
    expect(fences).toBeGreaterThan(10);
    expect(blocks).toHaveLength(fences);
    expect(blocks.every((block) => block.code.length > 0 && !block.code.includes('```'))).toBe(true);
  });

  it('imports what a block uses without importing it, and nothing it imports itself', () => {
    const module = blockModule(
      "import { Module } from '@nestjs/common';\n@Module({ imports: [DpopModule.forRoot({})] })\nexport class AppModule {}",
    );
    expect(module).toContain("import { DpopModule } from 'nestjs-dpop';");
    expect(module).not.toContain("import { Module } from '@nestjs/common';\nimport");
    expect(module.match(/\bModule\b.*from '@nestjs\/common'/g)).toHaveLength(1);
    expect(module).toContain('export {};');
  });

  it('the "Testing with Jest" section holds the two recipes the Jest cells apply', () => {
    const { nest11, nest12 } = jestRecipes();
    expect(nest11).toEqual({ transformIgnorePatterns: [expect.stringContaining('jose')] });
    expect(nest12).toMatchObject({ scripts: { test: expect.stringContaining('--experimental-vm-modules') } });
    expect(nest12.jest).toMatchObject({ extensionsToTreatAsEsm: ['.ts'] });
  });
});
