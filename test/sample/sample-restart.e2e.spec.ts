import { generateProof } from 'dpop';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { freePort, startSample } from '../helpers/sample-app.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const spa: oauth.Client = { client_id: 'demo-spa' };

describe('the sample across a restart on the same SQLite file', () => {
  it('a refresh token issued before still works with its key; a proof accepted before is still a replay', async () => {
    const port = await freePort();
    const first = await startSample({ port });
    const { issuer, sqliteFile } = first;
    const redirectUri = `${issuer}/client/callback`;
    const as = await oauth.processDiscoveryResponse(
      new URL(issuer),
      await oauth.discoveryRequest(new URL(issuer), insecure),
    );

    const keyPair = await oauth.generateKeyPair('ES256');
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'demo-spa',
      redirect_uri: redirectUri,
      scope: 'api',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
    const params = oauth.validateAuthResponse(as, spa, new URL(location), oauth.expectNoState);
    const dpop = oauth.DPoP(spa, keyPair);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      spa,
      await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, redirectUri, verifier, {
        DPoP: dpop,
        ...insecure,
      }),
    );
    const headers = {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await generateProof(keyPair, `${issuer}/api/me`, 'GET', undefined, tokens.access_token),
    };
    expect((await fetch(`${issuer}/api/me`, { headers })).status).toBe(200);
    await first.app.close();

    const second = await startSample({ port, sqliteFile });
    try {
      const replay = await fetch(`${issuer}/api/me`, { headers });
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);

      const other = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
      await expect(
        oauth.processRefreshTokenResponse(
          as,
          spa,
          await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, {
            DPoP: other,
            ...insecure,
          }),
        ),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        spa,
        await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, { DPoP: dpop, ...insecure }),
      );
      expect(refreshed.token_type).toBe('dpop');
      const me = await oauth.protectedResourceRequest(
        refreshed.access_token,
        'GET',
        new URL(`${issuer}/api/me`),
        undefined,
        undefined,
        {
          DPoP: dpop,
          ...insecure,
        },
      );
      expect(me.status).toBe(200);
    } finally {
      await second.app.close();
    }
  });
});
