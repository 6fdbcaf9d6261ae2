// bench/RESULTS.md holds one section per benchmark script, each between its own markers, so that
// every script rewrites only its section (npm run bench, bench:store, bench:scale).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('./RESULTS.md', import.meta.url);

/** Replaces (or appends) the section `name` of bench/RESULTS.md with `text`. */
export function writeSection(name, text) {
  const begin = `<!-- section:${name} -->`;
  const end = `<!-- /section:${name} -->`;
  const block = `${begin}\n\n${text.trim()}\n\n${end}`;
  let current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmark results\n';
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from >= 0 && to > from) current = current.slice(0, from) + block + current.slice(to + end.length);
  else current = `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, current.endsWith('\n') ? current : `${current}\n`);
}
