import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { storeContract } from '../helpers/store-contract.js';

// A real SQLite file (better-sqlite3, WAL), as the module's default store uses.
const dir = mkdtempSync(join(tmpdir(), 'dpop-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('SQLite (file)', () => ({ type: 'better-sqlite3', database: join(dir, 'dpop.sqlite'), enableWAL: true }));
