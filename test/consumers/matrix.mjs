// npm run test:matrix: the packed package (npm pack of dist/, which the script builds first) in real
// projects made by `nest new` (Nest 11 and 12, CommonJS and ESM, Jest and Vitest), and a type-check
// matrix over TypeScript versions and module resolutions. Installs are cached between runs (see util.mjs).
// Usage: node test/consumers/matrix.mjs [cell or "types" ...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rerunCellOnNode, runCell } from './app-cells.mjs';
import { CELLS } from './cells.mjs';
import { CACHE, cached, must, pack } from './util.mjs';
import { runTypesMatrix } from './types-matrix.mjs';

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);
const log = (line) => console.log(line);

/** A newer Node from the npm registry (the `node` package ships the binary); NEWER_NODE=off skips it. */
const NEWER_NODE = process.env.NESTJS_DPOP_MATRIX_NEWER_NODE ?? '22';

function newerNode() {
  if (NEWER_NODE === 'off') return undefined;
  try {
    const { dir } = cached(`node${NEWER_NODE}`, { node: NEWER_NODE }, (tmp) => {
      must('npm', ['init', '-y'], { cwd: tmp });
      must('npm', ['install', '--loglevel=error', `node@${NEWER_NODE}`], { cwd: tmp });
    });
    return join(dir, 'node_modules', '.bin');
  } catch (error) {
    log(`(no newer Node: the node@${NEWER_NODE} package did not install: ${error.message.split('\n')[0]})`);
    return undefined;
  }
}

const work = mkdtempSync(join(tmpdir(), 'nestjs-dpop-matrix-'));
const failures = [];
const started = Date.now();
try {
  const tarball = pack(work);
  log(`packed ${tarball}; cache ${CACHE}`);
  if (wanted('types')) {
    log('\n--- type-check matrix (TypeScript × module resolution) ---');
    await runTypesMatrix(tarball, log).catch((error) => failures.push(`types: ${error.message}`));
  }
  const cells = CELLS.filter((c) => wanted(c.name));
  const nodeBin = cells.length > 0 ? newerNode() : undefined;
  for (const cell of cells) {
    log(`\n--- ${cell.name}: ${cell.title} ---`);
    try {
      await runCell(cell, tarball, log);
      if (nodeBin) await rerunCellOnNode(cell, nodeBin, log);
    } catch (error) {
      failures.push(`${cell.name}: ${error.message}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
log(
  `\nconsumer matrix: ${failures.length === 0 ? 'all green' : `${failures.length} failed`} in ${Math.round((Date.now() - started) / 1000)} s`,
);
if (failures.length > 0) {
  for (const failure of failures) console.error(`\n✗ ${failure}`);
  process.exit(1);
}
