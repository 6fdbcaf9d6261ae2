// npm run build: the ESM build (dist/esm) and the CommonJS build (dist/cjs), two tsc passes in parallel,
// then dist/cjs/package.json {"type":"commonjs"} so Node and TypeScript read dist/cjs as CommonJS.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
const pass = (project) =>
  new Promise((resolve, reject) => {
    spawn(process.execPath, [tsc, '-p', project], { stdio: 'inherit' }).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p ${project} exited ${code}`)),
    );
  });
await Promise.all([pass('tsconfig.build.json'), pass('tsconfig.build.cjs.json')]);
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
