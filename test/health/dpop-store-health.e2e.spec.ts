import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DpopModule, MemoryDpopStore, type DpopStore } from '../../lib/index.js';
import { DpopStoreHealthIndicator } from '../../lib/health/index.js';
import { TypeOrmDpopStore } from '../../lib/storage/typeorm/index.js';
import { send } from '../helpers/servers.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dpopStore: DpopStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.dpopStore.isHealthy('dpop_store', { timeoutMs: 300 })]);
  }
}

/** A store that never answers (a hung database). */
class HangingStore extends MemoryDpopStore {
  override rememberProof(): Promise<boolean> {
    return new Promise(() => undefined);
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function health(store: DpopStore) {
  @Module({
    imports: [TerminusModule, DpopModule.forRoot({ store })],
    controllers: [HealthController],
    providers: [DpopStoreHealthIndicator],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return send(`http://127.0.0.1:${port}/health`);
}

describe('DpopStoreHealthIndicator (nestjs-dpop/terminus)', () => {
  it('memory store: up', async () => {
    const res = await health(new MemoryDpopStore());
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', info: { dpop_store: { status: 'up' } } });
  });

  it('SQLite store: up; once its database is closed: down (503), nothing of the cause in the answer', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dpop-health-')), 'dpop.sqlite');
    const store = await TypeOrmDpopStore.open(
      { type: 'better-sqlite3', database: file, enableWAL: true },
      { pruneIntervalSeconds: 0 },
    );
    expect((await health(store)).json()).toMatchObject({ status: 'ok' });
    await app!.close(); // closes the store, and with it the DataSource it opened
    if (store.dataSource.isInitialized) await store.dataSource.destroy();
    const down = await health(store);
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({
      status: 'error',
      error: { dpop_store: { status: 'down', message: 'the store cannot answer' } },
    });
    expect(down.body).not.toMatch(/DataSource|initialized|sqlite/i);
  });

  it('a store that hangs: down within the timeout', async () => {
    const started = Date.now();
    const res = await health(new HangingStore());
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { dpop_store: { status: 'down', message: 'no answer within 300 ms' } } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
