// Every ```ts block of README.md as its own module, for the consumer matrix to type-check against the
// packed package with each cell's own compiler settings. A block is compiled as written; the only thing
// added is a prelude that imports the names the block uses without importing them (the surrounding prose
// says where they come from), and declares the app's own classes a block refers to but does not show.
import { readFileSync } from 'node:fs';

/** Names a block may use without importing them, and where they come from. */
const PRELUDE_IMPORTS = {
  '@nestjs/common': ['Body', 'Controller', 'Get', 'HttpCode', 'Injectable', 'Module', 'Post'],
  '@nestjs/config': ['ConfigModule', 'ConfigService'],
  '@nestjs/typeorm': ['TypeOrmModule'],
  'nestjs-dpop': [
    'assertDpopJkt',
    'Dpop',
    'DpopBound',
    'DpopContext',
    'DpopModule',
    'DpopProofContext',
    'DpopTokenEndpoint',
    'DpopVerifierService',
  ],
  'nestjs-dpop/typeorm': ['TypeOrmDpopStore'],
};

/** The app's own classes that a block names but that another block (or the prose) shows. */
const PRELUDE_DECLARATIONS = {
  OrdersController: 'declare class OrdersController {} // shown in the next block',
};

/** The ```ts blocks of a Markdown file, with the line each starts on. */
export function extractTsBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Names a block binds itself: imports and top-level declarations. */
function boundNames(code) {
  const names = new Set();
  for (const [, list] of code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from/g)) {
    for (const part of list.split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) names.add(name);
    }
  }
  for (const [, name] of code.matchAll(
    /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface|const|let|function|type)\s+([A-Za-z_$][\w$]*)/gm,
  )) {
    names.add(name);
  }
  return names;
}

/** The block as a module: prelude (only what it uses and lacks), then the block unchanged. */
export function blockModule(code) {
  const bound = boundNames(code);
  const uses = (name) => !bound.has(name) && new RegExp(`(^|[^\\w$.'"])${name}\\b`).test(code);
  const prelude = [];
  for (const [from, names] of Object.entries(PRELUDE_IMPORTS)) {
    const used = names.filter(uses);
    if (used.length > 0) prelude.push(`import { ${used.join(', ')} } from '${from}';`);
  }
  for (const [name, declaration] of Object.entries(PRELUDE_DECLARATIONS)) {
    if (uses(name)) prelude.push(declaration);
  }
  // `export {}` keeps a block without imports a module, so blocks never share a scope.
  return `${prelude.join('\n')}\nexport {};\n// ---- README block ----\n${code}\n`;
}

/** README.md's blocks as files: `readme-<line>.ts` → source. */
export function readmeBlockFiles(readmePath) {
  const files = {};
  for (const block of extractTsBlocks(readFileSync(readmePath, 'utf8'))) {
    files[`readme-${String(block.line).padStart(4, '0')}.ts`] = blockModule(block.code);
  }
  return files;
}
