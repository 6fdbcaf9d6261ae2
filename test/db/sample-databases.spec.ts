import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { insecure, serviceToken, startSample } from '../helpers/sample-app.js';

const service: oauth.Client = { client_id: 'demo-service' };

describe.each([
  ['PostgreSQL', 'postgres://postgres@127.0.0.1:5432/test'],
  ['MariaDB', 'mysql://root@127.0.0.1:3306/test'],
])('the sample on %s (DATABASE_URL)', (_name, databaseUrl) => {
  it('issues a DPoP-bound token that the API accepts', async () => {
    const { app, issuer } = await startSample({ databaseUrl });
    try {
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
    } finally {
      await app.close();
    }
  });
});
