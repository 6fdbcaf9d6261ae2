import { Test } from '@nestjs/testing';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DpopModule,
  DpopProofError,
  DpopStoreUnavailableError,
  DpopVerifierService,
  hashRefreshToken,
} from '../../lib/index.js';
import { DPOP_TYPEORM_ENTITIES, DPOP_TYPEORM_MIGRATIONS, TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { makeKey, signProof, type TestKey } from './proofs.js';
import { TcpProxy } from './tcp-proxy.js';

const HTU = 'https://api.example.com/orders';

/** The same tests for every database: `connection(port?)` gives DataSource options (port: through a proxy). */
export function storeContract(name: string, connection: (port?: number) => DataSourceOptions, targetPort?: number) {
  describe(`TypeOrmDpopStore on ${name}`, () => {
    let key: TestKey;
    const opened: { close(): Promise<void> }[] = [];

    async function appWith(store: TypeOrmDpopStore) {
      const moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot({ store })] }).compile();
      await moduleRef.init();
      opened.push(moduleRef);
      return moduleRef;
    }
    const proof = () => signProof(key, { htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) });
    const verify = (moduleRef: Awaited<ReturnType<typeof appWith>>, value: string) =>
      moduleRef.get(DpopVerifierService).verify(value, { method: 'POST', url: HTU });

    beforeAll(async () => {
      key = await makeKey('ES256');
      const setup = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
      await setup.dataSource.query('DELETE FROM dpop_replay_record');
      await setup.dataSource.query('DELETE FROM dpop_refresh_token_binding');
      await setup.close();
    });
    beforeEach(async () => {
      while (opened.length > 0) await opened.pop()!.close();
    });
    afterAll(async () => {
      while (opened.length > 0) await opened.pop()!.close();
    });

    it('200 concurrent verifications of one proof: exactly one is accepted', async () => {
      const moduleRef = await appWith(await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 }));
      const value = await proof();
      const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => verify(moduleRef, value)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(refused.every((r) => r instanceof DpopProofError && r.check === 'replay')).toBe(true);
    });

    it('two instances on one database: a proof accepted by one is a replay for the other', async () => {
      const a = await appWith(await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 }));
      const b = await appWith(await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 }));
      for (let i = 0; i < 20; i++) {
        const value = await proof();
        const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
        const both = await Promise.allSettled([verify(first, value), verify(second, value)]);
        expect(both.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      }
    });

    it("the app's own DataSource works too, and replay records and bindings survive a restart", async () => {
      const dataSource = new DataSource({
        ...connection(),
        entities: DPOP_TYPEORM_ENTITIES,
        migrations: DPOP_TYPEORM_MIGRATIONS,
        migrationsRun: true,
      } as DataSourceOptions);
      await dataSource.initialize();
      const store = new TypeOrmDpopStore(dataSource, { pruneIntervalSeconds: 0 });
      const first = await appWith(store);
      const value = await proof();
      const { jkt } = await verify(first, value);
      const tokenHash = hashRefreshToken(`refresh-${name}-${Date.now()}`);
      await store.saveRefreshTokenBinding({ tokenHash, jkt, clientId: 'spa', expiresAt: Date.now() + 60_000 });
      await first.close();
      opened.pop();
      expect(dataSource.isInitialized).toBe(true); // the store does not close a DataSource it was given
      await dataSource.destroy();

      const restarted = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
      const second = await appWith(restarted);
      await expect(verify(second, value)).rejects.toMatchObject({ check: 'replay' });
      expect(await restarted.findRefreshTokenBinding(tokenHash)).toEqual({
        tokenHash,
        jkt,
        clientId: 'spa',
        expiresAt: expect.any(Number),
      });
      await restarted.deleteRefreshTokenBinding(tokenHash);
      expect(await restarted.findRefreshTokenBinding(tokenHash)).toBeUndefined();
    });

    it('pruning removes only expired rows, in bounded batches', async () => {
      const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0, pruneBatchSize: 7 });
      opened.push(store);
      await store.dataSource.query('DELETE FROM dpop_replay_record');
      const now = Date.now();
      const id = (i: number, tag: string) => `${tag}${String(i).padStart(43 - tag.length, '0')}`;
      for (let i = 0; i < 30; i++) await store.rememberProof(id(i, 'old'), now - 1000);
      for (let i = 0; i < 12; i++) await store.rememberProof(id(i, 'new'), now + 60_000);
      await store.saveRefreshTokenBinding({
        tokenHash: id(1, 'rtold'),
        jkt: id(1, 'k'),
        clientId: 'c',
        expiresAt: now - 1,
      });
      await store.saveRefreshTokenBinding({
        tokenHash: id(1, 'rtnew'),
        jkt: id(1, 'k'),
        clientId: 'c',
        expiresAt: now + 60_000,
      });
      expect(await store.findRefreshTokenBinding(id(1, 'rtold'))).toBeUndefined(); // expired: not served even before pruning
      expect(await store.prune()).toBe(31);
      const rows = (await store.dataSource.query('SELECT id FROM dpop_replay_record')) as { id: string }[];
      expect(rows.map((r) => r.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => id(i, 'new')).sort());
      expect(await store.findRefreshTokenBinding(id(1, 'rtnew'))).toBeDefined();
      expect(await store.prune()).toBe(0);
    });

    it('refuses malformed keys before they reach SQL', async () => {
      const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
      opened.push(store);
      await expect(store.rememberProof(`${'a'.repeat(43)}x`, Date.now())).rejects.toThrow(/malformed/);
      await expect(store.rememberProof("'; DROP TABLE x; --", Date.now())).rejects.toThrow(/malformed/);
      expect(await store.findRefreshTokenBinding('short')).toBeUndefined();
    });

    if (targetPort !== undefined) {
      it('database unreachable: proofs are refused with a 503, never accepted; service resumes when it returns', async () => {
        const proxy = new TcpProxy(targetPort);
        const port = await proxy.start();
        const store = await TypeOrmDpopStore.open(connection(port), { pruneIntervalSeconds: 0 });
        const moduleRef = await appWith(store);
        await verify(moduleRef, await proof());
        await proxy.cut();
        const during = await proof();
        const error = await verify(moduleRef, during).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DpopStoreUnavailableError);
        expect((error as DpopStoreUnavailableError).getStatus()).toBe(503);
        await proxy.restore();
        let resumed = false;
        for (let i = 0; i < 50 && !resumed; i++) {
          resumed = await verify(moduleRef, await proof()).then(
            () => true,
            () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
          );
        }
        expect(resumed).toBe(true);
        // the proof refused during the outage was not recorded: it is accepted now
        await expect(verify(moduleRef, during)).resolves.toBeDefined();
        await proxy.cut();
      });
    } else {
      it('database closed: proofs are refused with a 503, never accepted', async () => {
        const store = await TypeOrmDpopStore.open(connection(), { pruneIntervalSeconds: 0 });
        const moduleRef = await appWith(store);
        await store.dataSource.destroy();
        const error = await verify(moduleRef, await proof()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DpopStoreUnavailableError);
      });
    }
  });
}
