import type { INestApplication } from '@nestjs/common';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmation } from '../../lib/index.js';
import { ADAPTERS, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// RFC 7800 confirmation methods of the access token, through DpopGuard: jkt, jwk, kid, jku, jwe.
const f = useGuardFixture();

describe.each(ADAPTERS)('DpopGuard with each cnf method on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    ({ app, base } = await start(adapter, f.jwtOptions()));
  });
  afterAll(() => app.close());
  const dpopHeaders = (method: string, path: string, token: string) => f.dpopHeaders(base, method, path, token);

  describe('RFC 7800 confirmation methods', () => {
    const call = async (cnf: unknown) => {
      const token = await f.mint({ cnf });
      return send(`${base}/api/me`, { headers: await dpopHeaders('GET', '/api/me', token) });
    };
    it('cnf.jwk: the thumbprint of the confirmed key must be the proof key’s', async () => {
      expect((await call(await createConfirmation({ jwk: f.clientJwk, as: 'jwk' }))).status).toBe(200);
      const other = await exportJWK((await generateKeyPair('ES256')).publicKey);
      expect((await call({ jwk: other })).json().error).toBe('invalid_dpop_proof');
    });
    it('cnf.kid: resolved by the configured resolver', async () => {
      expect((await call(await createConfirmation({ kid: 'client-kid' }))).status).toBe(200);
      expect((await call({ kid: 'unknown' })).json().error).toBe('invalid_token');
    });
    it('cnf.jku: fetched over HTTPS from an allowed host, kid needed when the set has several keys', async () => {
      expect((await call({ jku: `${f.jkuServer.url}/one` })).status).toBe(200);
      expect((await call({ jku: `${f.jkuServer.url}/set`, kid: 'client-key' })).status).toBe(200);
      expect((await call({ jku: `${f.jkuServer.url}/set` })).json().error).toBe('invalid_token');
      expect((await call({ jku: `${f.jkuServer.url}/set`, kid: 'decoy' })).json().error).toBe('invalid_dpop_proof');
      expect((await call({ jku: `${f.jkuServer.url}/big` })).json().error).toBe('invalid_token');
      expect((await call({ jku: 'https://evil.example/keys' })).json().error).toBe('invalid_token');
      expect((await call({ jku: f.jkuServer.url.replace('https:', 'http:') })).json().error).toBe('invalid_token');
    });
    it('cnf.jku: a set is fetched once and reused; a key server that does not answer is an outage (503), not a bad token', async () => {
      const path = `/one?${adapter}`;
      for (let i = 0; i < 3; i++) expect((await call({ jku: `${f.jkuServer.url}${path}` })).status).toBe(200);
      expect(f.jkuHits.filter((hit) => hit === path)).toHaveLength(1);
      const started = Date.now();
      const slow = await call({ jku: `${f.jkuServer.url}/slow` });
      expect(slow.status).toBe(503);
      expect(slow.json().error).toBe('temporarily_unavailable');
      expect(Date.now() - started).toBeLessThan(3000);
    });
    it('cnf.jwe: a symmetric key cannot confirm a DPoP proof → invalid_token', async () => {
      const recipient = await exportJWK((await generateKeyPair('ECDH-ES+A256KW')).publicKey);
      const cnf = await createConfirmation({ symmetricKey: new Uint8Array(32).fill(7), recipientKey: recipient });
      expect((await call(cnf)).json().error).toBe('invalid_token');
    });
    it('a cnf with two methods, or of the wrong shape, is invalid; unknown members are ignored', async () => {
      expect((await call({ jkt: f.jkt, jwk: f.clientJwk })).json().error).toBe('invalid_token');
      expect((await call({ jkt: 42 })).json().error).toBe('invalid_token');
      expect((await call('jkt')).json().error).toBe('invalid_token');
      expect((await call({ jkt: f.jkt, x5t: 'ignored' })).status).toBe(200);
    });
  });
});
