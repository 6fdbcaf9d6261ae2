import type { INestApplication } from '@nestjs/common';
import { calculateThumbprint } from 'dpop';
import { importJWK, type CryptoKey } from 'jose';
import * as client from 'openid-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_FAPI_TEST_PRIVATE_JWK } from '../../sample/oauth/demo-fapi-test-key.js';
import { sha256 } from '../../sample/oauth/keys.service.js';
import { PushedAuthorizationRequest } from '../../sample/oauth/oauth.entities.js';
import { startSample } from '../helpers/sample-app.js';

// openid-client v6's PAR flow (buildAuthorizationUrlWithPAR with a DPoP handle, then
// authorizationCodeGrant) against the sample, in both nonce modes. openid-client retries
// once by itself on use_dpop_nonce, at the PAR and the token endpoint alike.
const FAPI_REDIRECT = 'http://localhost:8080/fapi/callback';

describe.each([false, true])('PAR + DPoP against the sample, openid-client v6 (DPOP_NONCE %s)', (nonce) => {
  let app: INestApplication;
  let issuer: string;
  let fapi: client.Configuration;
  let spa: client.Configuration;
  /** Status of every request openid-client sent to /par, in order. */
  const parStatuses: number[] = [];

  beforeAll(async () => {
    ({ app, issuer } = await startSample({ nonce }));
    const key = (await importJWK(DEMO_FAPI_TEST_PRIVATE_JWK, 'ES256')) as CryptoKey;
    const options = { execute: [client.allowInsecureRequests] };
    fapi = await client.discovery(
      new URL(issuer),
      'demo-fapi',
      { id_token_signed_response_alg: 'ES256' },
      client.PrivateKeyJwt({ key, kid: DEMO_FAPI_TEST_PRIVATE_JWK.kid }),
      options,
    );
    spa = await client.discovery(
      new URL(issuer),
      'demo-spa',
      { id_token_signed_response_alg: 'ES256' },
      client.None(),
      options,
    );
    for (const config of [fapi, spa]) {
      config[client.customFetch] = async (url, init) => {
        const response = await fetch(url, init as RequestInit);
        if (new URL(url).pathname === '/par') parStatuses.push(response.status);
        return response;
      };
    }
  });
  afterAll(() => app.close());

  const redirectUri = (config: client.Configuration) => (config === fapi ? FAPI_REDIRECT : `${issuer}/client/callback`);

  /** The PAR step: the authorization URL (client_id + request_uri) and what the callback must match. */
  async function pushed(config: client.Configuration, dpop?: client.DPoPHandle, extra: Record<string, string> = {}) {
    const checks = {
      pkceCodeVerifier: client.randomPKCECodeVerifier(),
      expectedState: client.randomState(),
      expectedNonce: client.randomNonce(),
    };
    const url = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: redirectUri(config),
        scope: 'openid api',
        state: checks.expectedState,
        nonce: checks.expectedNonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
        code_challenge_method: 'S256',
        ...extra,
      },
      dpop ? { DPoP: dpop } : undefined,
    );
    return { url, checks };
  }
  /** The browser's part: follow the authorization URL to the redirect with the code. */
  async function callback(url: URL): Promise<URL> {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  for (const name of ['demo-fapi', 'demo-spa']) {
    it(`${name}: the code is bound to the PAR proof key; that key redeems it, another key gets invalid_grant`, async () => {
      const config = name === 'demo-fapi' ? fapi : spa;
      const keyPair = await client.randomDPoPKeyPair('ES256');
      const dpop = client.getDPoPHandle(config, keyPair);
      parStatuses.length = 0;
      const first = await pushed(config, dpop);
      // with nonces on, the first proof has none: 400 use_dpop_nonce, and openid-client retries with it
      expect(parStatuses).toEqual(nonce ? [400, 201] : [201]);
      expect([...first.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      const tokens = await client.authorizationCodeGrant(config, await callback(first.url), first.checks, undefined, {
        DPoP: dpop,
      });
      expect(tokens.token_type).toBe('dpop');
      expect(tokens.claims()?.sub).toBe('alice');
      const me = await client.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${issuer}/api/me`),
        'GET',
        undefined,
        undefined,
        { DPoP: dpop },
      );
      expect(await me.json()).toMatchObject({ client_id: name, jkt: await calculateThumbprint(keyPair.publicKey) });

      const second = await pushed(config, dpop);
      const attacker = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      await expect(
        client.authorizationCodeGrant(config, await callback(second.url), second.checks, undefined, {
          DPoP: attacker,
        }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
    });
  }

  it('dpop_jkt and a proof that disagree → 400 invalid_dpop_proof at the PAR endpoint', async () => {
    const other = await client.randomDPoPKeyPair('ES256');
    const dpop = client.getDPoPHandle(spa, await client.randomDPoPKeyPair('ES256'));
    await expect(pushed(spa, dpop, { dpop_jkt: await calculateThumbprint(other.publicKey) })).rejects.toMatchObject({
      status: 400,
      error: 'invalid_dpop_proof',
    });
  });

  it('a used or expired request_uri is refused at /authorize', async () => {
    const dpop = client.getDPoPHandle(fapi, await client.randomDPoPKeyPair('ES256'));
    const { url } = await pushed(fapi, dpop);
    await callback(url);
    const reused = await fetch(url, { redirect: 'manual' });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_request_uri' });

    const late = await pushed(fapi, dpop);
    await app
      .get(DataSource)
      .getRepository(PushedAuthorizationRequest)
      .update({ requestUriHash: sha256(late.url.searchParams.get('request_uri')!) }, { expiresAt: '1' });
    const expired = await fetch(late.url, { redirect: 'manual' });
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: 'invalid_request_uri' });
  });

  it('demo-fapi without PAR: the authorization response is invalid_request', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(fapi, {
      redirect_uri: FAPI_REDIRECT,
      scope: 'openid api',
      state: 'st',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const location = await callback(url);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('demo-fapi without PKCE: the PAR endpoint answers 400 invalid_request', async () => {
    const dpop = client.getDPoPHandle(fapi, await client.randomDPoPKeyPair('ES256'));
    await expect(
      client.buildAuthorizationUrlWithPAR(fapi, { redirect_uri: FAPI_REDIRECT, scope: 'openid' }, { DPoP: dpop }),
    ).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('demo-fapi without DPoP: the token request answers 400 invalid_dpop_proof', async () => {
    const { url, checks } = await pushed(fapi);
    await expect(client.authorizationCodeGrant(fapi, await callback(url), checks)).rejects.toMatchObject({
      status: 400,
      error: 'invalid_dpop_proof',
    });
  });
});
