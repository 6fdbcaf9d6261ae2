import * as oauth from 'oauth4webapi';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { admin, REDIS_PORT } from '../helpers/redis-harness.js';
import { insecure, serviceToken, startSample } from '../helpers/sample-app.js';

const service: oauth.Client = { client_id: 'demo-service' };

describe('the sample with DPOP_REDIS_URL', () => {
  it('keeps replay records in Redis (its own data stays in SQLite) and closes its Redis client on shutdown', async () => {
    const redis = await admin();
    const clients = async () => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))![1]);
    const proofKeys = async () => (await redis.keys('dpop:proof:*')).length;
    const clientsBefore = await clients();
    const keysBefore = await proofKeys();
    const { app, issuer } = await startSample({ dpopRedisUrl: `redis://127.0.0.1:${REDIS_PORT}` });
    try {
      expect(await clients()).toBe(clientsBefore + 1);
      const as = await oauth.processDiscoveryResponse(
        new URL(issuer),
        await oauth.discoveryRequest(new URL(issuer), insecure),
      );
      const dpop = oauth.DPoP(service, await oauth.generateKeyPair('ES256'));
      const tokens = await serviceToken(as, dpop);
      expect(tokens.token_type).toBe('dpop');
      const res = await oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(`${issuer}/api/mixed`),
        undefined,
        undefined,
        {
          DPoP: dpop,
          ...insecure,
        },
      );
      expect(await res.json()).toMatchObject({ sub: 'demo-service', scheme: 'DPoP' });
      expect(await proofKeys()).toBeGreaterThanOrEqual(keysBefore + 2); // the token request's proof and the API's
      const rows = (await app.get(DataSource).query('SELECT COUNT(*) AS count FROM dpop_replay_record')) as {
        count: number;
      }[];
      expect(Number(rows[0]?.count)).toBe(0);
    } finally {
      await app.close();
    }
    expect(await clients()).toBe(clientsBefore);
    await redis.quit();
  });
});
