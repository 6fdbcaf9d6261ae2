import type { INestApplication } from '@nestjs/common';
import { generateKeyPair, generateProof } from 'dpop';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insecure, serviceToken, startSample } from '../helpers/sample-app.js';

// The sample's POST /graphql: `me` guarded by @DpopBound() (Apollo on Express), `issuer` public. The same steps
// as the README walk-through: demo-service's client-credentials token bound to a key, then the `me` query.
describe.each([false, true])('the sample GraphQL API (DPOP_NONCE %s)', (nonce) => {
  let app: INestApplication;
  let issuer: string;
  let as: oauth.AuthorizationServer;
  beforeAll(async () => {
    // As `npm run sample` runs (Vitest sets NODE_ENV=test, where Apollo never adds stack traces).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      ({ app, issuer } = await startSample({ nonce }));
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), insecure));
  });
  afterAll(() => app.close());

  const post = (headers: Record<string, string>, query: string) =>
    fetch(`${issuer}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  it('the public field answers anyone; `me` without a token is refused with the challenge', async () => {
    expect(await (await post({}, '{ issuer }')).json()).toEqual({ data: { issuer } });
    const res = await post({}, '{ me { sub } }');
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP algs="/);
    const body = (await res.json()) as { data: unknown; errors: { extensions: Record<string, unknown> }[] };
    expect(body.data).toBeNull();
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', error: 'unauthorized' });
    expect(body.errors[0]!.extensions).not.toHaveProperty('stacktrace'); // no server paths in the body
  });

  it('oauth4webapi: a DPoP-bound token of demo-service reads `me` (nonce retry when asked)', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP({}, keys);
    const retry = async <T>(run: () => Promise<T>) => {
      try {
        return await run();
      } catch (error) {
        if (oauth.isDPoPNonceError(error)) return run();
        throw error;
      }
    };
    const token = await retry(() => serviceToken(as, dpop));
    expect(token.token_type).toBe('dpop');
    const call = () =>
      oauth.protectedResourceRequest(
        token.access_token,
        'POST',
        new URL(`${issuer}/graphql`),
        new Headers({ 'content-type': 'application/json' }),
        JSON.stringify({ query: '{ me { sub client_id scope jkt } }' }),
        { DPoP: dpop, ...insecure },
      );
    let res = await call();
    // Apollo answers a refusal with 200 (Nest's default): a nonce demand shows in the challenge header.
    if (/use_dpop_nonce/.test(res.headers.get('www-authenticate') ?? '')) res = await call();
    expect(await res.json()).toEqual({
      data: {
        me: { sub: 'demo-service', client_id: 'demo-service', scope: 'api', jkt: expect.stringMatching(/^[\w-]{43}$/) },
      },
    });
  });

  it('panva/dpop by hand: the proof names POST /graphql; replay and a proof for /api/me are refused', async () => {
    const keys = await generateKeyPair('ES256');
    let serverNonce: string | undefined;
    const tokenRequest = async () =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await generateProof(keys, `${issuer}/token`, 'POST', serverNonce),
        },
        body: 'grant_type=client_credentials&scope=api',
      });
    let res = await tokenRequest();
    if (res.status === 400) {
      serverNonce = res.headers.get('dpop-nonce') ?? undefined;
      res = await tokenRequest();
    }
    const token = ((await res.json()) as { access_token: string }).access_token;
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: await generateProof(keys, `${issuer}/graphql`, 'POST', serverNonce, token),
    };
    const ok = (await (await post(headers, '{ me { sub } }')).json()) as { data: unknown };
    expect(ok).toEqual({ data: { me: { sub: 'demo-service' } } });
    const replay = await post(headers, '{ me { sub } }');
    expect(replay.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
    const elsewhere = await post(
      { ...headers, dpop: await generateProof(keys, `${issuer}/api/me`, 'POST', serverNonce, token) },
      '{ me { sub } }',
    );
    expect(elsewhere.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
  });
});
