import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { storeContract } from '../helpers/store-contract.js';
import { typeormCases, typeormHarness } from '../helpers/typeorm-harness.js';

// A real SQLite file (better-sqlite3, WAL), as the module's default store uses.
const dir = mkdtempSync(join(tmpdir(), 'dpop-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const connection = () => ({ type: 'better-sqlite3' as const, database: join(dir, 'dpop.sqlite'), enableWAL: true });

storeContract('SQLite (file, WAL)', typeormHarness(connection));
typeormCases('SQLite (file, WAL)', connection);
