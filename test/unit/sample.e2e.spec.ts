import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPair, generateProof } from 'dpop';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';

describe('sample app over HTTP, driven by the dpop client library', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('boots and answers /health', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', algorithms: expect.arrayContaining(['ES256', 'EdDSA']) });
  });

  it('accepts a proof once, returns its thumbprint, then refuses the replay', async () => {
    const keyPair = await generateKeyPair('ES256', { extractable: true });
    const proof = await generateProof(keyPair, `${base}/proof`, 'POST');
    const first = await fetch(`${base}/proof?x=1`, { method: 'POST', headers: { DPoP: proof } });
    expect(first.status).toBe(200);
    const { jkt } = (await first.json()) as { jkt: string };
    const { exportJWK } = await import('jose');
    expect(jkt).toBe(await jwkThumbprint(await exportJWK(keyPair.publicKey)));
    const replay = await fetch(`${base}/proof`, { method: 'POST', headers: { DPoP: proof } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", algs="ES256 /);
  });

  it('answers a malformed header with a 401, not a 500', async () => {
    for (const value of ['x', 'a.b.c', 'e30.e30.', `${'A'.repeat(9000)}.e30.e30`]) {
      const res = await fetch(`${base}/proof`, { method: 'POST', headers: { DPoP: value } });
      expect(res.status).toBe(401);
    }
  });
});
