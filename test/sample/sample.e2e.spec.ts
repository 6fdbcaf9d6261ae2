import type { INestApplication } from '@nestjs/common';
import { generateKeyPair as dpopKeyPair, generateProof } from 'dpop';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPage } from '../helpers/html-form.js';
import { serviceToken, startSample, withNonceRetry } from '../helpers/sample-app.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const spa: oauth.Client = { client_id: 'demo-spa' };
type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>;
const service: oauth.Client = { client_id: 'demo-service' };

describe.each([false, true])('the sample, driven by oauth4webapi and dpop (DPOP_NONCE %s)', (nonce) => {
  let app: INestApplication;
  let issuer: string;
  let as: oauth.AuthorizationServer;
  let redirectUri: string;

  beforeAll(async () => {
    ({ app, issuer } = await startSample({ nonce }));
    redirectUri = `${issuer}/client/callback`;
    as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), insecure));
  });
  afterAll(() => app.close());

  /** Authorization code + PKCE (+ nonce), the callback parameters validated by oauth4webapi. */
  async function authorize(extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: spa.client_id,
      redirect_uri: redirectUri,
      scope: 'openid api',
      state,
      nonce: 'n-0S6_WzA2Mj',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    })) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { redirect: 'manual' });
    return { res, verifier, state };
  }

  /** The token request of the code flow, by oauth4webapi, retrying once for a DPoP nonce. */
  function redeem(params: URLSearchParams, verifier: string, dpop: oauth.DPoPHandle) {
    return withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        spa,
        await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, redirectUri, verifier, {
          DPoP: dpop,
          ...insecure,
        }),
        { expectedNonce: 'n-0S6_WzA2Mj' },
      ),
    );
  }

  async function codeFlow(keyPair: KeyPair, extra: Record<string, string> = {}) {
    const { res, verifier, state } = await authorize(extra);
    expect(res.status).toBe(302);
    const params = oauth.validateAuthResponse(as, spa, new URL(res.headers.get('location')!), state);
    const dpop = oauth.DPoP(spa, keyPair);
    return { tokens: await redeem(params, verifier, dpop), dpop };
  }

  it('publishes RFC 8414 metadata with the POST response types and DPoP algorithms', () => {
    expect(as.issuer).toBe(issuer);
    expect(as.response_types_supported).toEqual(
      expect.arrayContaining([
        'code',
        'x_post id_token',
        'x_post token',
        'x_post code id_token',
        'x_post id_token token',
      ]),
    );
    expect(as.response_modes_supported).toEqual(['query', 'fragment', 'form_post']);
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA']));
  });

  it('code + PKCE + DPoP: a bound token (cnf.jkt, token_type DPoP) that works at /api/me with ath', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const { tokens, dpop } = await codeFlow(keyPair);
    expect(tokens.token_type).toBe('dpop');
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims.sub).toBe('alice');
    // oauth4webapi throws on a use_dpop_nonce challenge and keeps the nonce for the retry
    const me = await withNonceRetry(() =>
      oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${issuer}/api/me`), undefined, undefined, {
        DPoP: dpop,
        ...insecure,
      }),
    );
    expect(me.status).toBe(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ sub: 'alice', client_id: 'demo-spa', scope: 'openid api' });
    expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refresh with rotation: the same key works, the used refresh token is dead', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const { tokens, dpop } = await codeFlow(keyPair);
    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        spa,
        await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, { DPoP: dpop, ...insecure }),
      ),
    );
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(
      withNonceRetry(async () =>
        oauth.processRefreshTokenResponse(
          as,
          spa,
          await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, {
            DPoP: dpop,
            ...insecure,
          }),
        ),
      ),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('client credentials: Bearer without a proof (works on /api/mixed only), DPoP-bound with one', async () => {
    const bearer = await serviceToken(as);
    expect(bearer.token_type).toBe('bearer');
    const mixed = await fetch(`${issuer}/api/mixed`, { headers: { authorization: `Bearer ${bearer.access_token}` } });
    expect(mixed.status).toBe(200);
    expect(await mixed.json()).toMatchObject({ sub: 'demo-service', scheme: 'Bearer' });
    const strict = await fetch(`${issuer}/api/me`, { headers: { authorization: `Bearer ${bearer.access_token}` } });
    expect(strict.status).toBe(401);

    const dpop = oauth.DPoP(service, await oauth.generateKeyPair('ES256'));
    const bound = await withNonceRetry(() => serviceToken(as, dpop));
    expect(bound.token_type).toBe('dpop');
    const introspection = await fetch(`${issuer}/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: bound.access_token }),
    });
    expect(await introspection.json()).toMatchObject({
      active: true,
      aud: issuer,
      token_type: 'DPoP',
      client_id: 'demo-service',
      cnf: { jkt: expect.any(String) },
    });
  });

  describe('negative cases with hand-made proofs (panva/dpop)', () => {
    let accessToken: string;
    let refreshToken: string;
    let key: KeyPair;
    let serverNonce: string | undefined;
    beforeAll(async () => {
      key = await oauth.generateKeyPair('ES256');
      const { tokens, dpop } = await codeFlow(key);
      accessToken = tokens.access_token;
      refreshToken = tokens.refresh_token!;
      void dpop;
      if (nonce) {
        const probe = await fetch(`${issuer}/api/me`, {
          headers: {
            authorization: `DPoP ${accessToken}`,
            dpop: await generateProof(key, `${issuer}/api/me`, 'GET', undefined, accessToken),
          },
        });
        serverNonce = probe.headers.get('dpop-nonce') ?? undefined;
      }
    });
    const proof = (url: string, method: string, token?: string, keyPair = key) =>
      generateProof(keyPair, url, method, serverNonce, token);

    it('a replayed proof is refused', async () => {
      const headers = {
        authorization: `DPoP ${accessToken}`,
        dpop: await proof(`${issuer}/api/me`, 'GET', accessToken),
      };
      expect((await fetch(`${issuer}/api/me`, { headers })).status).toBe(200);
      const replay = await fetch(`${issuer}/api/me`, { headers });
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
    });

    it('a proof naming another URL is refused', async () => {
      const res = await fetch(`${issuer}/api/me`, {
        headers: { authorization: `DPoP ${accessToken}`, dpop: await proof(`${issuer}/api/echo`, 'GET', accessToken) },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
    });

    it('the bound token sent as Bearer is refused, also on /api/mixed', async () => {
      for (const path of ['/api/me', '/api/mixed']) {
        const res = await fetch(`${issuer}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      }
    });

    it('the refresh token with another key is refused (invalid_grant)', async () => {
      const other = await dpopKeyPair('ES256');
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await proof(`${issuer}/token`, 'POST', undefined, other),
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-spa' }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    });
  });

  it('form_post: the page is parsed and its form posted as a browser would, and the code redeems', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const { res, verifier, state } = await authorize({ response_mode: 'form_post' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const [form] = readPage(html).forms;
    expect(form).toMatchObject({ method: 'post', action: redirectUri });
    const fields = new URLSearchParams(form!.fields);
    const callback = await fetch(form!.action!, { method: 'POST', body: fields, redirect: 'manual' });
    expect(callback.status).toBeLessThan(400);
    const params = oauth.validateAuthResponse(as, spa, fields, state);
    const tokens = await redeem(params, verifier, oauth.DPoP(spa, keyPair));
    expect(tokens.token_type).toBe('dpop');
  });

  it('x_post code id_token: the posted ID Token carries c_hash, checked by oauth4webapi', async () => {
    const { res, state } = await authorize({ response_type: 'x_post code id_token' });
    expect(res.status).toBe(200);
    const fields = new URLSearchParams(readPage(await res.text()).forms[0]!.fields);
    const params = await oauth.validateCodeIdTokenResponse(as, spa, fields, 'n-0S6_WzA2Mj', state, undefined, insecure);
    expect(params.get('code')).toBeTruthy();
  });

  it('dpop_jkt binds the code to a key: another key cannot redeem it', async () => {
    const bound = await oauth.generateKeyPair('ES256');
    const other = await oauth.generateKeyPair('ES256');
    const { calculateThumbprint } = await import('dpop');
    const { res, verifier, state } = await authorize({ dpop_jkt: await calculateThumbprint(bound.publicKey) });
    const params = oauth.validateAuthResponse(as, spa, new URL(res.headers.get('location')!), state);
    await expect(redeem(params, verifier, oauth.DPoP(spa, other))).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  describe('hardening', () => {
    const basic = (id: string, secret: string, scheme = 'Basic') =>
      `${scheme} ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const token = (body: Record<string, string> | string, headers: Record<string, string> = {}) =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: typeof body === 'string' ? body : new URLSearchParams(body),
      });

    it('only the three grant types; another one is unsupported_grant_type, a disallowed one unauthorized_client', async () => {
      const implicit = await token({ grant_type: 'implicit', client_id: 'demo-spa', scope: 'admin' });
      expect(implicit.status).toBe(400);
      expect(((await implicit.json()) as { error: string }).error).toBe('unsupported_grant_type');
      const spaCc = await token({ grant_type: 'client_credentials', client_id: 'demo-spa' });
      expect(((await spaCc.json()) as { error: string }).error).toBe('unauthorized_client');
    });

    it('client authentication: a public client sending a secret is refused; Basic is case-insensitive and its 401 names Basic', async () => {
      const spaSecret = await token({
        grant_type: 'authorization_code',
        code: 'x',
        client_id: 'demo-spa',
        client_secret: 'made-up',
      });
      expect(spaSecret.status).toBe(401);
      expect(((await spaSecret.json()) as { error: string }).error).toBe('invalid_client');
      const lower = await token(
        { grant_type: 'client_credentials' },
        { authorization: basic('demo-service', 'demo-service-secret', 'basic') },
      );
      expect(lower.status).toBe(200);
      const wrong = await token({ grant_type: 'client_credentials' }, { authorization: basic('demo-service', 'nope') });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
      const malformed = await token({ grant_type: 'client_credentials' }, { authorization: basic('%', 'x') });
      expect(malformed.status).toBe(401);
    });

    it('repeated parameters are an invalid_request, never a 500', async () => {
      const codes = await token('grant_type=authorization_code&client_id=demo-spa&code=a&code=b');
      expect(codes.status).toBe(400);
      expect(((await codes.json()) as { error: string }).error).toBe('invalid_request');
      const url = new URL(as.authorization_endpoint!);
      url.search = `response_type=code&client_id=demo-spa&redirect_uri=${encodeURIComponent(redirectUri)}&scope=a&scope=b&state=s`;
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('s');
    });

    it('a repeated parameter whose name carries CR/LF and quotes: a fixed description, nothing of the name', async () => {
      const evil = encodeURIComponent('x"\r\nSet-Cookie: a=b');
      /** RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
      const fixedText = (description: unknown) => {
        expect(typeof description).toBe('string');
        expect(description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
        expect(description).not.toMatch(/Set-Cookie|x"/);
      };
      const form = `grant_type=client_credentials&${evil}=1&${evil}=2`;
      const basicAuth = { authorization: basic('demo-service', 'demo-service-secret') };
      for (const path of ['/token', '/par']) {
        const res = await fetch(`${issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...basicAuth },
          body: form,
        });
        expect(res.status, path).toBe(400);
        const body = (await res.json()) as { error: string; error_description: string };
        expect(body.error, path).toBe('invalid_request');
        fixedText(body.error_description);
      }
      // /authorize with a known client and redirect_uri: the error goes back on the redirect
      const url = new URL(as.authorization_endpoint!);
      url.search = `response_type=code&client_id=demo-spa&redirect_uri=${encodeURIComponent(redirectUri)}&${evil}=1&${evil}=2&state=s`;
      const redirected = await fetch(url, { redirect: 'manual' });
      const location = new URL(redirected.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      fixedText(location.searchParams.get('error_description'));
      // with request_uri: a 400 answered directly
      url.search = `client_id=demo-spa&request_uri=urn:x&${evil}=1&${evil}=2`;
      const direct = await fetch(url, { redirect: 'manual' });
      expect(direct.status).toBe(400);
      const text = await direct.text();
      expect(text).not.toMatch(/Set-Cookie|x"/);
      expect(direct.headers.get('set-cookie')).toBeNull();
    });

    it('demo-spa gets tokens from /authorize only bound to a key (dpop_jkt)', async () => {
      const { res } = await authorize({ response_type: 'token', scope: 'api' });
      expect(res.status).toBe(302);
      const fragment = new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1));
      expect(fragment.get('error')).toBe('invalid_request');
      expect(fragment.get('access_token')).toBeNull();
    });
  });

  it('an unknown redirect_uri gets a 400 page, never a redirect', async () => {
    const { res } = await authorize({ redirect_uri: 'https://evil.example/cb' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
