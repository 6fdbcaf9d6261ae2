import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { generateKeyPair, generateProof } from 'dpop';
import { calculateJwkThumbprint, exportJWK, importJWK, SignJWT } from 'jose';
import { AppModule, DPOP_DATABASE } from './app.module.js';

// The throwaway issuer key whose public half app.module.ts trusts.
const ISSUER_PRIVATE_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'huibr4xrG2vtABVrM9bGkE9sod6LDl1YhnGYdqULJoU',
  y: 'kn7xIQMNMftRuloTaR5u-5exv1KolYqJPbZ_-wO55vQ',
  d: 'zuvOScdKIO-_a7n1oINswVP7RNXv__glYWl41OANY7E',
};

describe('OrdersController (DPoP)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('accepts a DPoP-bound token with a fresh proof, and refuses the replayed proof', async () => {
    const keys = await generateKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
    const accessToken = await new SignJWT({ client_id: 'matrix-client', cnf: { jkt } })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer('https://as.example.com')
      .setAudience('https://api.example.com')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(ISSUER_PRIVATE_JWK, 'ES256'));
    const proof = await generateProof(keys, `${base}/orders`, 'GET', undefined, accessToken);
    const headers = { authorization: `DPoP ${accessToken}`, dpop: proof };

    const ok = await fetch(`${base}/orders`, { headers });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ client: 'matrix-client', key: jkt });

    const replay = await fetch(`${base}/orders`, { headers });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });

  it('loads nestjs-dpop/typeorm', () => {
    expect(DPOP_DATABASE.entities.length).toBeGreaterThan(0);
    expect(typeof DPOP_DATABASE.store.open).toBe('function');
  });
});
