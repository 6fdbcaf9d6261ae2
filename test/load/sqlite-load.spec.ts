import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { hit, loadApp, loadClient, loadProof } from '../helpers/bench-app.js';

const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 50_000);
const CONCURRENCY = 16;

describe('load and growth on the SQLite store', () => {
  it(`${REQUESTS} accepted requests with unique proofs: zero errors, and pruning keeps the replay table bounded`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpop-load-'));
    const client = await loadClient();
    // Short windows so records expire during the run: a record lives maxProofAge + 1 s after its iat.
    const store = await TypeOrmDpopStore.open(
      { type: 'better-sqlite3', database: join(dir, 'load.sqlite'), enableWAL: true },
      { pruneIntervalSeconds: 1 },
    );
    const { app, port } = await loadApp(client.asJwk, { store, maxProofAge: 3, maxClockSkew: 1 });
    const count = async () =>
      Number(((await store.dataSource.query('SELECT COUNT(*) AS n FROM dpop_replay_record')) as { n: number }[])[0]!.n);
    try {
      let sent = 0;
      let failed = 0;
      let maxRows = 0;
      const started = Date.now();
      const sampler = setInterval(() => void count().then((n) => (maxRows = Math.max(maxRows, n))), 250);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (sent < REQUESTS) {
            sent++;
            const status = await hit(port, {
              host: 'load.local',
              authorization: `DPoP ${client.token}`,
              dpop: loadProof(client),
            });
            if (status !== 200) failed++;
          }
        }),
      );
      clearInterval(sampler);
      const seconds = (Date.now() - started) / 1000;
      const rate = REQUESTS / seconds;
      const finalRows = await count();
      console.log(
        `load: ${REQUESTS} requests in ${seconds.toFixed(1)} s (${Math.round(rate)}/s), ${failed} failed, ` +
          `replay table max ${maxRows} rows, ${finalRows} at the end`,
      );
      expect(failed).toBe(0);
      // Bounded by the rate times the record lifetime (iat + 4 s) plus a pruning interval, far below the total.
      expect(maxRows).toBeLessThan(rate * 7);
      expect(maxRows).toBeLessThan(REQUESTS / 2);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await store.prune();
      expect(await count()).toBe(0);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
