import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopModule, DpopStoreUnavailableError, DpopVerifierService } from '../../lib/index.js';
import { RedisDpopStore } from '../../lib/storage/redis/index.js';
import { makeKey, signProof, type TestKey } from '../helpers/proofs.js';
import {
  admin,
  closeClient,
  freePort,
  redisClient,
  startRedisServer,
  uniquePrefix,
  type RedisLibrary,
} from '../helpers/redis-harness.js';
import { replayKey } from '../helpers/store-contract.js';

const HTU = 'https://api.example.com/orders';

/** Faults that would disturb the shared Redis run on a redis-server of this test's own. */
describe.each<RedisLibrary>(['redis', 'ioredis'])('RedisDpopStore faults on %s', (library) => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let control: Redis;
  let key: TestKey;
  let moduleRef: TestingModule;
  let store: RedisDpopStore;
  let client: Awaited<ReturnType<typeof redisClient>>;

  const proof = () => signProof(key, { htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) });
  const verify = async (value: string) =>
    moduleRef.get(DpopVerifierService).verify(value, { method: 'POST', url: HTU });
  /** Refused with 503, and how long the refusal took. */
  async function refusedIn(value: string): Promise<number> {
    const started = Date.now();
    const error = await verify(value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DpopStoreUnavailableError);
    expect((error as DpopStoreUnavailableError).getStatus()).toBe(503);
    expect(JSON.stringify((error as DpopStoreUnavailableError).getResponse())).not.toMatch(/READONLY|timeout|ms/i);
    return Date.now() - started;
  }
  async function resumes(): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (
        await verify(await proof()).then(
          () => true,
          () => false,
        )
      )
        return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  beforeAll(async () => {
    key = await makeKey('ES256');
    server = await startRedisServer();
    control = await admin(server.port);
    client = await redisClient(library, server.port);
    store = new RedisDpopStore(client, { keyPrefix: uniquePrefix(), commandTimeoutMs: 1000 });
    moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot({ store })] }).compile();
    await moduleRef.init();
  });
  afterAll(async () => {
    await moduleRef?.close();
    if (client) await closeClient(client);
    control?.disconnect();
    await server?.stop();
  });

  it('a hung Redis (CLIENT PAUSE WRITE): refused with 503 within the command timeout, then resumes', async () => {
    await verify(await proof());
    await control.call('CLIENT', 'PAUSE', '2500', 'WRITE');
    const took = await refusedIn(await proof());
    expect(took).toBeGreaterThanOrEqual(900); // waited for the timeout…
    expect(took).toBeLessThan(3000); // …and no longer
    expect(await resumes()).toBe(true);
    // while hung, commands awaiting a reply are capped: the ones past maxPendingCommands are refused at once
    const capped = new RedisDpopStore(client, { keyPrefix: uniquePrefix(), maxPendingCommands: 2 });
    await control.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => capped.rememberProof(replayKey('cap', randomUUID()), Date.now() + 5000)),
    );
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'accepted'));
    expect(reasons.filter((r) => /2 commands already await Redis/.test(r))).toHaveLength(3);
    expect(reasons.filter((r) => /took longer than 1000 ms/.test(r))).toHaveLength(2);
    expect(await resumes()).toBe(true);
    // replies stay paired with their commands after a timed-out one
    const tokenHash = replayKey('binding', randomUUID());
    const jkt = replayKey('jkt', randomUUID());
    const expiresAt = Date.now() + 60_000;
    await store.saveRefreshTokenBinding({ tokenHash, jkt, clientId: 'spa', expiresAt });
    expect(await store.findRefreshTokenBinding(tokenHash)).toEqual({ tokenHash, jkt, clientId: 'spa', expiresAt });
  });

  it('a read-only Redis (a primary turned replica after a failover): refused with 503, then resumes', async () => {
    await verify(await proof());
    await control.call('REPLICAOF', '127.0.0.1', String(await freePort())); // a primary that is not there
    const refusals: Promise<number>[] = [];
    for (let i = 0; i < 3; i++) refusals.push(refusedIn(await proof()));
    for (const took of await Promise.all(refusals)) expect(took).toBeLessThan(3000);
    const direct = await store.rememberProof(replayKey('ro', randomUUID()), Date.now() + 5000).catch((e: Error) => e);
    expect(String(direct)).toMatch(/READONLY/); // the replica refused the write itself
    await control.call('REPLICAOF', 'NO', 'ONE');
    expect(await resumes()).toBe(true);
  });

  it("the guard's batched checks: a hung and a read-only Redis refuse every proof of a batch with 503, then resume", async () => {
    const verifier = moduleRef.get(DpopVerifierService);
    /** Three proofs checked as one batch (the guard's path with yieldToEventLoop): each outcome, and how long. */
    const batch = async () => {
      const proofs = await Promise.all([proof(), proof(), proof()]);
      const started = Date.now();
      const outcomes = await Promise.allSettled(
        proofs.map((value) => verifier.verifyInBatch(value, { method: 'POST', url: HTU })),
      );
      return {
        took: Date.now() - started,
        outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : o.reason)),
      };
    };
    const until = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      return done();
    };
    const accepted = async () => (await batch()).outcomes.every((o) => o === 'ok');
    expect(await accepted()).toBe(true); // the key is loaded and cached by the first verify of the suite
    await control.call('CLIENT', 'PAUSE', '2500', 'WRITE');
    const hung = await batch();
    expect(hung.outcomes.every((o) => o instanceof DpopStoreUnavailableError)).toBe(true);
    expect(hung.took).toBeGreaterThanOrEqual(900);
    expect(hung.took).toBeLessThan(3000);
    expect(await until(accepted)).toBe(true);
    await control.call('REPLICAOF', '127.0.0.1', String(await freePort()));
    const readOnly = await batch();
    expect(readOnly.outcomes.every((o) => o instanceof DpopStoreUnavailableError)).toBe(true);
    expect(readOnly.took).toBeLessThan(3000);
    await control.call('REPLICAOF', 'NO', 'ONE');
    expect(await until(accepted)).toBe(true);
  });

  it('Redis stopped: refused at once while the client reconnects (nothing queued), then resumes', async () => {
    await verify(await proof());
    const port = server.port;
    await server.stop();
    for (let i = 0; i < 5; i++) expect(await refusedIn(await proof())).toBeLessThan(3000);
    server = await startRedisServer([], port);
    control.disconnect();
    control = await admin(port);
    expect(await resumes()).toBe(true);
  });
});
