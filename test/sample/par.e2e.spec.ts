import type { INestApplication } from '@nestjs/common';
import { calculateThumbprint, generateKeyPair as dpopKeyPair, generateProof } from 'dpop';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_FAPI_TEST_PRIVATE_JWK } from '../../sample/oauth/demo-fapi-test-key.js';
import { ExpiredRowsPruner } from '../../sample/oauth/expired-rows.pruner.js';
import { sha256 } from '../../sample/oauth/keys.service.js';
import { PushedAuthorizationRequest } from '../../sample/oauth/oauth.entities.js';
import { insecure, startSample, withNonceRetry } from '../helpers/sample-app.js';

// Pushed authorization requests with DPoP (RFC 9126, RFC 9449 §10.1) against the sample, driven by
// oauth4webapi's pushedAuthorizationRequest with a DPoP handle, in both nonce modes.
const spa: oauth.Client = { client_id: 'demo-spa' };
const fapi: oauth.Client = { client_id: 'demo-fapi', id_token_signed_response_alg: 'ES256' };
const FAPI_REDIRECT = 'http://localhost:8080/fapi/callback';
const NONCE = 'n-0S6_WzA2Mj';
type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>;

describe.each([false, true])('PAR + DPoP against the sample, oauth4webapi (DPOP_NONCE %s)', (nonce) => {
  let app: INestApplication;
  let issuer: string;
  let as: oauth.AuthorizationServer;
  let fapiKey: CryptoKey;

  beforeAll(async () => {
    ({ app, issuer } = await startSample({ nonce }));
    as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), insecure));
    fapiKey = (await importJWK(DEMO_FAPI_TEST_PRIVATE_JWK, 'ES256')) as CryptoKey;
  });
  afterAll(() => app.close());

  const fapiAuth = () => oauth.PrivateKeyJwt({ key: fapiKey, kid: DEMO_FAPI_TEST_PRIVATE_JWK.kid });
  const setup = (client: oauth.Client) =>
    client === fapi
      ? { auth: fapiAuth(), redirectUri: FAPI_REDIRECT }
      : { auth: oauth.None(), redirectUri: `${issuer}/client/callback` };

  /** PAR (with the DPoP handle when given), then /authorize with client_id + request_uri. */
  async function push(client: oauth.Client, dpop: oauth.DPoPHandle | undefined, extra: Record<string, string> = {}) {
    const { auth, redirectUri } = setup(client);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid api',
      state,
      nonce: NONCE,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    const pushed = await withNonceRetry(async () =>
      oauth.processPushedAuthorizationResponse(
        as,
        client,
        await oauth.pushedAuthorizationRequest(as, client, auth, params, {
          ...(dpop ? { DPoP: dpop } : {}),
          ...insecure,
        }),
      ),
    );
    return { pushed, verifier, state };
  }
  function authorize(client: oauth.Client, requestUri: string, extra: Record<string, string> = {}) {
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: client.client_id, request_uri: requestUri, ...extra }).toString();
    return fetch(url, { redirect: 'manual' });
  }
  async function code(client: oauth.Client, dpop: oauth.DPoPHandle | undefined, extra: Record<string, string> = {}) {
    const { pushed, verifier, state } = await push(client, dpop, extra);
    const res = await authorize(client, pushed.request_uri);
    expect(res.status).toBe(302);
    return { params: oauth.validateAuthResponse(as, client, new URL(res.headers.get('location')!), state), verifier };
  }
  function redeem(client: oauth.Client, params: URLSearchParams, verifier: string, dpop?: oauth.DPoPHandle) {
    const { auth, redirectUri } = setup(client);
    return withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, {
          ...(dpop ? { DPoP: dpop } : {}),
          ...insecure,
        }),
        { expectedNonce: NONCE },
      ),
    );
  }

  it('publishes the PAR endpoint, private_key_jwt and the DPoP algorithms', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${issuer}/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'EdDSA']));
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
  });

  for (const client of [spa, fapi]) {
    it(`${client.client_id}: PAR with a proof binds the code to that key; the same key redeems it, another key gets invalid_grant`, async () => {
      const key: KeyPair = await oauth.generateKeyPair('ES256');
      const dpop = oauth.DPoP(client, key);
      const { pushed, verifier, state } = await push(client, dpop);
      expect(pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[\w-]{43}$/);
      expect(pushed.expires_in).toBe(60);
      const res = await authorize(client, pushed.request_uri);
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('iss')).toBe(issuer); // RFC 9207, checked by validateAuthResponse too
      const params = oauth.validateAuthResponse(as, client, location, state);
      const tokens = await redeem(client, params, verifier, dpop);
      expect(tokens.token_type).toBe('dpop');
      const me = await withNonceRetry(() =>
        oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${issuer}/api/me`), undefined, undefined, {
          DPoP: dpop,
          ...insecure,
        }),
      );
      expect(await me.json()).toMatchObject({ sub: 'alice', client_id: client.client_id, jkt: await thumbprint(key) });

      const other = await code(client, dpop);
      const attacker = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      await expect(redeem(client, other.params, other.verifier, attacker)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    });
  }

  it('dpop_jkt alone binds the code as well; dpop_jkt and a proof that disagree → 400 invalid_dpop_proof', async () => {
    const key = await oauth.generateKeyPair('ES256');
    const jkt = await thumbprint(key);
    const { params, verifier } = await code(spa, undefined, { dpop_jkt: jkt });
    await expect(
      redeem(spa, params, verifier, oauth.DPoP(spa, await oauth.generateKeyPair('ES256'))),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const mismatch = push(spa, oauth.DPoP(spa, await oauth.generateKeyPair('ES256')), { dpop_jkt: jkt });
    await expect(mismatch).rejects.toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
  });

  it('a request_uri is single use, expires, belongs to its client, and stands alone at /authorize', async () => {
    const { pushed } = await push(spa, oauth.DPoP(spa, await oauth.generateKeyPair('ES256')));
    const extra = await authorize(spa, pushed.request_uri, { scope: 'admin' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ error: 'invalid_request' });
    const wrongClient = await authorize(fapi, pushed.request_uri);
    expect(wrongClient.status).toBe(400);
    expect((await authorize(spa, pushed.request_uri)).status).toBe(302);
    const reused = await authorize(spa, pushed.request_uri);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_request_uri' });
    expect(reused.headers.get('location')).toBeNull();

    const late = await push(spa, undefined);
    // 60 s is too long to wait in a test: move the stored expiry into the past
    await app
      .get(DataSource)
      .getRepository(PushedAuthorizationRequest)
      .update({ requestUriHash: sha256(late.pushed.request_uri) }, { expiresAt: String(Date.now() - 1) });
    const expired = await authorize(spa, late.pushed.request_uri);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: 'invalid_request_uri' });

    // The pruner deletes expired pushed requests and leaves live ones
    const live = await push(spa, undefined);
    const requests = app.get(DataSource).getRepository(PushedAuthorizationRequest);
    const byHash = (pushed: { request_uri: string }) => ({ requestUriHash: sha256(pushed.request_uri) });
    await requests.update(byHash(late.pushed), { expiresAt: String(Date.now() - 1) }); // expired, never used
    expect(await app.get(ExpiredRowsPruner).prune()).toBeGreaterThanOrEqual(1);
    expect(await requests.countBy(byHash(late.pushed))).toBe(0);
    expect(await requests.countBy(byHash(live.pushed))).toBe(1);
  });

  describe('demo-fapi, the FAPI 2.0-shaped client', () => {
    it('without PAR: /authorize answers invalid_request to the redirect URI', async () => {
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: 'demo-fapi',
        redirect_uri: FAPI_REDIRECT,
        state: 'st',
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
        code_challenge_method: 'S256',
      }).toString();
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('code')).toBeNull();
      expect(location.searchParams.get('iss')).toBe(issuer);
    });

    it('without PKCE: the PAR endpoint answers 400 invalid_request', async () => {
      const params = new URLSearchParams({ response_type: 'code', redirect_uri: FAPI_REDIRECT, scope: 'openid' });
      const pushed = oauth.processPushedAuthorizationResponse(
        as,
        fapi,
        await oauth.pushedAuthorizationRequest(as, fapi, fapiAuth(), params, insecure),
      );
      await expect(pushed).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
    });

    it('without DPoP at the token request: 400 invalid_dpop_proof, no token', async () => {
      const { params, verifier } = await code(fapi, undefined);
      await expect(redeem(fapi, params, verifier)).rejects.toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
    });

    it('a DPoP proof by another algorithm than ES256/PS256 → invalid_dpop_proof', async () => {
      const dpop = oauth.DPoP(fapi, await oauth.generateKeyPair('EdDSA'));
      await expect(push(fapi, dpop)).rejects.toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
    });

    it('client assertions: no secret, a wrong audience, a replayed jti or a public-client request → invalid_client', async () => {
      const par = (body: Record<string, string>) =>
        fetch(`${issuer}/par`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            response_type: 'code',
            redirect_uri: FAPI_REDIRECT,
            code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
            code_challenge_method: 'S256',
            ...body,
          }),
        });
      const assertion = (aud: string, jti = crypto.randomUUID()) =>
        new SignJWT({ jti })
          .setProtectedHeader({ alg: 'ES256', kid: DEMO_FAPI_TEST_PRIVATE_JWK.kid })
          .setIssuer('demo-fapi')
          .setSubject('demo-fapi')
          .setAudience(aud)
          .setIssuedAt()
          .setExpirationTime('60s')
          .sign(fapiKey);
      const type = { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' };
      const once = await assertion(issuer);
      expect((await par({ ...type, client_assertion: once })).status).toBe(201);
      const bodies: Record<string, string>[] = [
        { client_id: 'demo-fapi' },
        { ...type, client_assertion: once },
        { ...type, client_assertion: await assertion(`${issuer}/token`) },
        { ...type, client_assertion: 'not.a.jwt' },
      ];
      for (const body of bodies) {
        const res = await par(body);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_client' });
      }

      // The table of used assertions cannot be written (gone): 503, not invalid_client; the same assertion
      // is accepted once the table is back (nothing was recorded for it).
      const dataSource = app.get(DataSource);
      const during = await assertion(issuer);
      await dataSource.query('ALTER TABLE sample_used_client_assertion RENAME TO sample_used_client_assertion_away');
      try {
        const down = await par({ ...type, client_assertion: during });
        expect(down.status).toBe(503);
        expect(await down.json()).toMatchObject({ error: 'temporarily_unavailable' });
      } finally {
        await dataSource.query('ALTER TABLE sample_used_client_assertion_away RENAME TO sample_used_client_assertion');
      }
      expect((await par({ ...type, client_assertion: during })).status).toBe(201);
    });
  });

  it('hand-made proofs (panva/dpop): a replayed PAR proof is refused; with nonces on, a proof without one asks for it', async () => {
    const key = await dpopKeyPair('ES256');
    const body = new URLSearchParams({
      client_id: 'demo-spa',
      response_type: 'code',
      redirect_uri: `${issuer}/client/callback`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const send = (dpop: string) =>
      fetch(`${issuer}/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
        body,
      });
    const first = await send(await generateProof(key, `${issuer}/par`, 'POST'));
    let serverNonce: string | undefined;
    if (nonce) {
      expect(first.status).toBe(400);
      expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' });
      serverNonce = first.headers.get('dpop-nonce')!;
      expect(serverNonce).toBeTruthy();
    } else {
      expect(first.status).toBe(201);
    }
    const proof = await generateProof(key, `${issuer}/par`, 'POST', serverNonce);
    expect((await send(proof)).status).toBe(201);
    const replay = await send(proof);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});

async function thumbprint(key: KeyPair): Promise<string> {
  return calculateThumbprint(key.publicKey);
}
