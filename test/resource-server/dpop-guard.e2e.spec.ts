import type { INestApplication } from '@nestjs/common';
import { generateKeyPair as clientKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// DpopGuard's own behaviour: success, every refusal and its challenge, downgrades, nonces.
const f = useGuardFixture();

describe.each(ADAPTERS)('DpopGuard on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  let bound: string;
  let unbound: string;
  beforeAll(async () => {
    ({ app, base } = await start(adapter, f.jwtOptions()));
    bound = await f.mint({ cnf: { jkt: f.jkt } });
    unbound = await f.mint({});
  });
  afterAll(() => app.close());

  const dpopHeaders = (method: string, path: string, token: string, nonce?: string) =>
    f.dpopHeaders(base, method, path, token, nonce);

  it('accepts a bound token with a proof on GET, and exposes the DpopContext', async () => {
    const res = await send(`${base}/api/me?page=1`, { headers: await dpopHeaders('GET', '/api/me', bound) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ jkt: f.jkt, sub: 'alice', scheme: 'DPoP', htm: 'GET' });
  });

  it('accepts a bound token with a proof on POST with a body', async () => {
    const res = await send(`${base}/api/echo`, {
      method: 'POST',
      headers: { ...(await dpopHeaders('POST', '/api/echo', bound)), 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ body: { hello: 'world' }, jkt: f.jkt });
  });

  it('leaves routes without @DpopBound() alone', async () => {
    expect((await send(`${base}/open`)).status).toBe(200);
  });

  it('no credentials → 401 with a DPoP challenge naming the algorithms, no error code', async () => {
    const res = await send(`${base}/api/me`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519"$/,
    );
  });

  it('no credentials where Bearer is allowed → a Bearer challenge too', async () => {
    const res = await send(`${base}/api/mixed`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^DPoP algs="[^"]+", Bearer$/);
  });

  it('a bad token → 401 invalid_token', async () => {
    const forged = `${bound.slice(0, -6)}AAAAAA`;
    for (const token of [forged, await f.mint({ cnf: { jkt: f.jkt } }, '-1m'), 'not-a-jwt']) {
      const res = await send(`${base}/api/me`, { headers: await dpopHeaders('GET', '/api/me', token) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(
        /^DPoP error="invalid_token", error_description="The access token is not valid", algs="/,
      );
      expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is not valid' });
    }
  });

  it('a bad proof → 401 invalid_dpop_proof (wrong htu, wrong method, replay, no ath, other key)', async () => {
    const other = await clientKeyPair('ES256');
    const cases = [
      await generateProof(f.client, `${base}/api/other`, 'GET', undefined, bound),
      await generateProof(f.client, `${base}/api/me`, 'POST', undefined, bound),
      await generateProof(f.client, `${base}/api/me`, 'GET'),
      await generateProof(other, `${base}/api/me`, 'GET', undefined, bound),
    ];
    for (const proof of cases) {
      const res = await send(`${base}/api/me`, { headers: { authorization: `DPoP ${bound}`, dpop: proof } });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(
        /^DPoP error="invalid_dpop_proof", error_description="The DPoP proof is not valid", algs="/,
      );
    }
    const headers = await dpopHeaders('GET', '/api/me', bound);
    expect((await send(`${base}/api/me`, { headers })).status).toBe(200);
    const replay = await send(`${base}/api/me`, { headers });
    expect(replay.status).toBe(401);
    expect(replay.json().error).toBe('invalid_dpop_proof');
  });

  it('claims naming a member twice → 401 invalid_dpop_proof, and nothing is recorded', async () => {
    const htu = `${base}/api/me`;
    const jti = 'claims-twice-jti';
    for (const claims of [
      '{"jti":"{jti}","htm":"GET","htu":"{htu}","iat":{iat},"ath":"{ath}","jti":"other"}',
      '{"jti":"{jti}","htm":"POST","htu":"{htu}","iat":{iat},"ath":"{ath}","htm":"GET"}',
      '{"jti":"{jti}","htm":"GET","htu":"{htu}","iat":{iat},"ath":"{ath}","iat":{iat}}',
      '{"jti":"{jti}","htm":"GET","htu":"{htu}","iat":{iat},"ath":"{ath}","\\u006a\\u0074\\u0069":"x"}',
    ]) {
      const res = await send(htu, {
        headers: { authorization: `DPoP ${bound}`, dpop: await f.rawProof(htu, bound, claims, jti) },
      });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof"/);
    }
    // The same jti in a well-formed proof is still new: the refused ones consumed nothing.
    const fine = await f.rawProof(
      htu,
      bound,
      '{"jti":"{jti}","htm":"GET","htu":"{htu}","iat":{iat},"ath":"{ath}"}',
      jti,
    );
    expect((await send(htu, { headers: { authorization: `DPoP ${bound}`, dpop: fine } })).status).toBe(200);
  });

  it('the nonce dance: 401 use_dpop_nonce with DPoP-Nonce, then the retry succeeds', async () => {
    const first = await send(`${base}/api/nonce`, { headers: await dpopHeaders('GET', '/api/nonce', bound) });
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toMatch(
      /^DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="/,
    );
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
    const retry = await send(`${base}/api/nonce`, { headers: await dpopHeaders('GET', '/api/nonce', bound, nonce) });
    expect(retry.status).toBe(200);
    expect(retry.json()).toEqual({ jkt: f.jkt });
  });

  it.each([
    [
      'two Authorization headers',
      async (h: Record<string, string>) => ({ ...h, authorization: [h.authorization!, h.authorization!] }),
    ],
    ['two DPoP headers', async (h: Record<string, string>) => ({ ...h, dpop: [h.dpop!, h.dpop!] })],
    ['comma-joined DPoP proofs', async (h: Record<string, string>) => ({ ...h, dpop: `${h.dpop}, ${h.dpop}` })],
    ['the DPoP scheme without a proof', async (h: Record<string, string>) => ({ authorization: h.authorization! })],
    ['an empty Authorization header', async (h: Record<string, string>) => ({ ...h, authorization: '' })],
    ['an empty DPoP header', async (h: Record<string, string>) => ({ ...h, dpop: '' })],
    ['a DPoP scheme with no token', async (h: Record<string, string>) => ({ ...h, authorization: 'DPoP ' })],
    ['a token with spaces', async (h: Record<string, string>) => ({ ...h, authorization: 'DPoP a b' })],
  ])('a malformed request (%s) → 400 invalid_request', async (_name, shape) => {
    const headers = await shape(await dpopHeaders('GET', '/api/me', bound));
    const res = await send(`${base}/api/me`, { headers });
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP error="invalid_request", error_description="The request is malformed", algs="/,
    );
    expect(res.json().error).toBe('invalid_request');
  });

  it('no header content produces a 500', async () => {
    const values = [
      'DPoP \u00ff\u00fe',
      `DPoP ${'A'.repeat(12_000)}`,
      'Basic abc',
      'DPoP ===',
      'dpop x.y.z',
      'DPoP a=b',
    ];
    for (const authorization of values) {
      const res = await send(`${base}/api/me`, { headers: { authorization, dpop: 'x.y.z' } });
      expect([400, 401]).toContain(res.status);
    }
    // Past Node's own header limit the HTTP server answers 431 before the guard runs.
    const huge = await send(`${base}/api/me`, { headers: { authorization: `DPoP ${'A'.repeat(20_000)}` } });
    expect(huge.status).toBe(431);
  });

  it('downgrade: a bound token as Bearer is refused, also where Bearer is allowed', async () => {
    for (const path of ['/api/me', '/api/mixed']) {
      const res = await send(`${base}${path}`, { headers: { authorization: `Bearer ${bound}` } });
      expect(res.status).toBe(401);
      expect(res.json().error).toBe('invalid_token');
    }
    const mixed = await send(`${base}/api/mixed`, { headers: { authorization: `Bearer ${bound}` } });
    // RFC 6750 §3: the error goes on the challenge of the scheme the f.client used
    expect(mixed.headers['www-authenticate']).toMatch(
      /^DPoP algs="[^"]+", Bearer error="invalid_token", error_description="The access token is not valid"$/,
    );
  });

  it('downgrade: an unbound token with the DPoP scheme is refused; as Bearer it passes where allowed', async () => {
    const dpop = await send(`${base}/api/me`, { headers: await dpopHeaders('GET', '/api/me', unbound) });
    expect(dpop.status).toBe(401);
    expect(dpop.json().error).toBe('invalid_token');
    const bearer = await send(`${base}/api/mixed`, { headers: { authorization: `Bearer ${unbound}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.json()).toEqual({ scheme: 'Bearer', jkt: null });
    const strict = await send(`${base}/api/me`, { headers: { authorization: `Bearer ${unbound}` } });
    expect(strict.status).toBe(401);
  });
});
