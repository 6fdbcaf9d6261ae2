import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { hit, loadApp, loadClient, loadProof } from '../helpers/bench-app.js';

const PG = { type: 'postgres' as const, host: '127.0.0.1', port: 5432, username: 'postgres', database: 'test' };
const cluster = () => readdirSync('/etc/postgresql')[0]!;
const pgctl = (action: 'start' | 'stop') =>
  execFileSync(
    'pg_ctlcluster',
    ['--skip-systemctl-redirect', cluster(), 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])],
    {
      stdio: 'pipe',
    },
  );
const pgUp = () => {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);
    return true;
  } catch {
    return false;
  }
};

async function waitForPg(): Promise<void> {
  for (let i = 0; i < 60 && !pgUp(); i++) await new Promise((resolve) => setTimeout(resolve, 500));
  if (!pgUp()) throw new Error('PostgreSQL on 127.0.0.1:5432 is not accepting connections');
}

describe('faults on PostgreSQL', () => {
  beforeAll(waitForPg);
  afterAll(async () => {
    if (!pgUp()) pgctl('start'); // never leave the machine's database down
    await waitForPg();
  });

  it('two app instances on one database under concurrent load: each proof is accepted at most once', async () => {
    const client = await loadClient();
    const stores = [await TypeOrmDpopStore.open(PG), await TypeOrmDpopStore.open(PG)];
    const apps = [await loadApp(client.asJwk, { store: stores[0] }), await loadApp(client.asJwk, { store: stores[1] })];
    try {
      const proofs = Array.from({ length: 600 }, () => loadProof(client));
      const outcomes = await Promise.all(
        proofs.map(async (dpop) => {
          const headers = { host: 'load.local', authorization: `DPoP ${client.token}`, dpop };
          const [a, b] = await Promise.all(apps.map(({ port }) => hit(port, headers)));
          return [a, b];
        }),
      );
      const accepted = outcomes.map((pair) => pair.filter((status) => status === 200).length);
      expect(accepted.every((n) => n === 1)).toBe(true); // exactly one of the two instances took each proof
      expect(outcomes.flat().every((status) => status === 200 || status === 401)).toBe(true);
    } finally {
      for (const { app } of apps) await app.close();
      for (const store of stores) await store.close();
    }
  });

  it('the database stopped mid-run: requests are refused (503), never accepted; service resumes without a restart', async () => {
    const client = await loadClient();
    const store = await TypeOrmDpopStore.open(PG);
    const { app, port } = await loadApp(client.asJwk, { store });
    const statuses = new Map<number, number>();
    const refused: string[] = [];
    let running = true;
    let downSince = 0;
    let acceptedWhileDown = 0;
    const worker = async () => {
      while (running) {
        const dpop = loadProof(client);
        const sentAt = Date.now();
        const status = await hit(port, { host: 'load.local', authorization: `DPoP ${client.token}`, dpop });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 503) refused.push(dpop);
        if (status === 200 && downSince > 0 && sentAt > downSince + 50 && !pgUp()) acceptedWhileDown++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    try {
      const workers = Array.from({ length: 4 }, worker);
      await new Promise((resolve) => setTimeout(resolve, 500));
      pgctl('stop');
      downSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      pgctl('start');
      await waitForPg();
      const before = statuses.get(200) ?? 0;
      for (let i = 0; i < 100 && (statuses.get(200) ?? 0) <= before + 20; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      running = false;
      await Promise.all(workers);
      console.log(`faults: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(statuses.get(503)).toBeGreaterThan(0);
      expect(acceptedWhileDown).toBe(0);
      expect([...statuses.keys()].every((status) => status === 200 || status === 503)).toBe(true);
      expect(statuses.get(200)).toBeGreaterThan(before + 20); // resumed, same app instance
      // A proof refused during the outage was never recorded: it is accepted now (its iat is still fresh).
      const status = await hit(port, { host: 'load.local', authorization: `DPoP ${client.token}`, dpop: refused[0]! });
      expect(status).toBe(200);
    } finally {
      running = false;
      if (!pgUp()) pgctl('start');
      await app.close();
      await store.close();
    }
  });
});
