import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DpopClientError } from '../../lib/client/index.js';
import { startSample } from '../helpers/sample-app.js';
import { clientModule, decodeJws, recordingFetch, sampleServiceOptions, type Recorded } from './client-helpers.js';

const tokenCalls = (calls: Recorded[]) => calls.filter((call) => call.url.endsWith('/token'));
const apiCalls = (calls: Recorded[]) => calls.filter((call) => call.url.includes('/api/'));
const jtis = (calls: Recorded[]) => calls.filter((call) => call.dpop).map((call) => decodeJws(call.dpop!).claims.jti);

describe.each([false, true])('DpopHttpClient against the sample (DPOP_NONCE %s)', (nonce) => {
  let app: INestApplication;
  let issuer: string;
  const contexts: INestApplicationContext[] = [];

  beforeAll(async () => {
    ({ app, issuer } = await startSample({ nonce }));
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  async function client(overrides: Parameters<typeof sampleServiceOptions>[1] = undefined, extra = {}) {
    const recorder = recordingFetch();
    const made = await clientModule({ ...sampleServiceOptions(issuer, overrides ?? recorder.fetch), ...extra });
    contexts.push(made.context);
    return { ...made, calls: recorder.calls };
  }

  it('calls /api/me with a DPoP-bound token of demo-service and a proof per request', async () => {
    const { client: dpop, calls } = await client();
    const response = await dpop.fetch(`${issuer}/api/me?x=1#frag`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client_id: 'demo-service', scope: 'api', jkt: dpop.jkt });

    const tokens = tokenCalls(calls);
    // With nonces on, the AS answers the first token request with 400 use_dpop_nonce and the client retries once.
    expect(tokens.map((call) => call.status)).toEqual(nonce ? [400, 200] : [200]);
    expect(tokens.map((call) => decodeJws(call.dpop!).claims.nonce !== undefined)).toEqual(
      nonce ? [false, true] : [false],
    );
    // The API shares the AS's origin here: the nonce learnt at the token endpoint is reused, no API retry.
    const api = apiCalls(calls);
    expect(api.map((call) => call.status)).toEqual([200]);
    const { header, claims } = decodeJws(api[0]!.dpop!);
    expect(header).toEqual({
      alg: 'ES256',
      typ: 'dpop+jwt',
      jwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
    });
    expect(claims).toMatchObject({ htm: 'GET', htu: `${issuer}/api/me`, ath: expect.any(String) });
    expect(api[0]!.authorization).toMatch(/^DPoP /);
    const signed = calls.filter((call) => call.dpop);
    expect(signed).toHaveLength(calls.length - 1); // all but the discovery request
    expect(new Set(jtis(signed)).size).toBe(signed.length);
  });

  it('N concurrent calls share one token request (single-flight), then the cached token', async () => {
    const { client: dpop, calls } = await client();
    const responses = await Promise.all(Array.from({ length: 20 }, () => dpop.fetch(`${issuer}/api/me`)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(tokenCalls(calls).filter((call) => call.status === 200)).toHaveLength(1);
    expect(tokenCalls(calls)).toHaveLength(nonce ? 2 : 1);
    await dpop.fetch(`${issuer}/api/me`);
    expect(tokenCalls(calls)).toHaveLength(nonce ? 2 : 1);
    const api = apiCalls(calls);
    expect(new Set(api.map((call) => call.authorization)).size).toBe(1);
    expect(new Set(jtis(api)).size).toBe(api.length);
  });

  it('sends a body and keeps it for a retry (POST /api/echo)', async () => {
    const { client: dpop, calls } = await client();
    const response = await dpop.fetch(`${issuer}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ body: { hello: 'world' }, jkt: dpop.jkt });
    expect(decodeJws(apiCalls(calls)[0]!.dpop!).claims.htm).toBe('POST');
  });

  it('proof() and getAccessToken() serve another HTTP client (here plain fetch)', async () => {
    const { client: dpop } = await client();
    const token = await dpop.getAccessToken();
    const url = `${issuer}/api/me?from=proof`;
    // Without an explicit nonce, proof() uses the one this origin gave last (nonce mode: at the token endpoint).
    const response = await fetch(url, {
      headers: { authorization: `DPoP ${token}`, dpop: await dpop.proof('GET', url, { accessToken: token }) },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client_id: 'demo-service', jkt: dpop.jkt });
    // The same proof twice is a replay: the API refuses the second.
    const proof = await dpop.proof('GET', url, { accessToken: token });
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    expect((await fetch(url, { headers })).status).toBe(200);
    expect((await fetch(url, { headers })).status).toBe(401);
  });

  it('authenticates with client_secret_post too', async () => {
    const { client: dpop } = await client(undefined, {
      clientAuthentication: { method: 'client_secret_post', clientSecret: 'demo-service-secret' },
    });
    expect((await dpop.fetch(`${issuer}/api/me`)).status).toBe(200);
  });

  it('takes the token endpoint without discovery', async () => {
    const { client: dpop, calls } = await client(undefined, { issuer: undefined, tokenEndpoint: `${issuer}/token` });
    expect((await dpop.fetch(`${issuer}/api/me`)).status).toBe(200);
    expect(calls.some((call) => call.url.includes('.well-known'))).toBe(false);
  });

  it("the sample's GET /service/self-call calls its own /api/me through DpopHttpClient", async () => {
    const first = await fetch(`${issuer}/service/self-call`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { status: number; jkt: string; me: Record<string, unknown> };
    expect(body).toMatchObject({ status: 200, me: { client_id: 'demo-service', scope: 'api' } });
    expect(body.me.jkt).toBe(body.jkt);
    const second = (await (await fetch(`${issuer}/service/self-call`)).json()) as typeof body;
    expect(second).toEqual(body); // same key, cached token
  });

  it('a refused client: one typed error shared by concurrent callers, not cached', async () => {
    const { client: dpop, calls } = await client(undefined, {
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'wrong' },
    });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => dpop.fetch(`${issuer}/api/me`)));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as DpopClientError;
      expect(error).toBeInstanceOf(DpopClientError);
      expect(error).toMatchObject({ code: 'token_request_failed', status: 401, oauthError: 'invalid_client' });
      expect(error.message).toContain(`${issuer}/token`);
      expect(error.message).not.toContain('wrong');
    }
    const first = tokenCalls(calls).length;
    expect(first).toBe(nonce ? 2 : 1);
    await expect(dpop.fetch(`${issuer}/api/me`)).rejects.toBeInstanceOf(DpopClientError);
    expect(tokenCalls(calls).length).toBeGreaterThan(first);
    expect(apiCalls(calls)).toHaveLength(0);
  });
});
