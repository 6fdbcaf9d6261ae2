import { generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopConfigurationError, type DpopModuleOptions } from '../../lib/index.js';
import { ADAPTERS, AUDIENCE, ISSUER, start, useGuardFixture } from '../helpers/guard-app.js';
import { httpServer, send, type TestServer } from '../helpers/servers.js';

// RFC 7662 introspection through DpopGuard, against a real introspection endpoint: the response's `aud` and
// `iss` are checked, an inactive answer is never kept, and an active one is kept only `cacheSeconds`.
const f = useGuardFixture();

type IntrospectionOptions = Extract<NonNullable<DpopModuleOptions['accessToken']>, { type: 'introspection' }>;

describe.each(ADAPTERS)('DpopGuard with RFC 7662 introspection on %s', (adapter) => {
  /** What the endpoint answers for each token; an unknown token is inactive. */
  const answers = new Map<string, Record<string, unknown>>();
  let introspection: TestServer;
  /** The tokens the endpoint was asked about, in order. */
  let asked: string[] = [];
  let down = false;
  beforeAll(async () => {
    introspection = await httpServer((req, body, res) => {
      const token = new URLSearchParams(body).get('token') ?? '';
      asked.push(token);
      if (down) {
        res.statusCode = 500;
        res.end();
        return;
      }
      if (req.headers.authorization !== `Basic ${Buffer.from('rs:s3cret').toString('base64')}`) {
        res.statusCode = 401;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answers.get(token) ?? { active: false }));
    });
  });
  afterAll(() => introspection.close());

  const options = (extra: Partial<IntrospectionOptions> = {}): IntrospectionOptions => ({
    type: 'introspection',
    endpoint: `${introspection.url}/introspect`,
    clientId: 'rs',
    clientSecret: 's3cret',
    audience: AUDIENCE,
    ...extra,
  });
  /** An active, key-bound answer for `token`, with `claims` over the defaults (`aud` the API, `iss` the AS). */
  const activeToken = (token: string, claims: Record<string, unknown> = {}) => {
    answers.set(token, {
      active: true,
      sub: 'bob',
      iss: ISSUER,
      aud: AUDIENCE,
      token_type: 'DPoP',
      cnf: { jkt: f.jkt },
      exp: Math.floor(Date.now() / 1000) + 3600,
      ...claims,
    });
    return token;
  };
  const call = async (base: string, token: string) =>
    send(`${base}/api/me`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await generateProof(f.client, `${base}/api/me`, 'GET', undefined, token),
      },
    });

  it('an active bound token passes; inactive or odd ones are invalid; an outage is a 503', async () => {
    const { app, base } = await start(adapter, { accessToken: options() });
    try {
      const res = await call(base, activeToken(`bound-${adapter}`));
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ sub: 'bob', jkt: f.jkt });
      answers.set(`typed-unbound-${adapter}`, { active: true, aud: AUDIENCE, token_type: 'DPoP' });
      for (const token of [`gone-${adapter}`, `typed-unbound-${adapter}`]) {
        const refused = await call(base, token);
        expect(refused.status).toBe(401);
        expect(refused.json().error).toBe('invalid_token');
      }
      down = true;
      const unavailable = await call(base, `other-${adapter}`);
      expect(unavailable.status).toBe(503);
      expect(unavailable.body).not.toContain('500');
    } finally {
      down = false;
      await app.close();
    }
  });

  it('refuses a token issued for another API (aud), and one without aud', async () => {
    const { app, base } = await start(adapter, { accessToken: options() });
    try {
      const elsewhere = activeToken(`other-api-${adapter}`, { aud: 'https://another-api.example.com' });
      const res = await call(base, elsewhere);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is not valid' });
      const several = activeToken(`other-apis-${adapter}`, { aud: ['https://a.example.com', 'https://b.example.com'] });
      expect((await call(base, several)).status).toBe(401);
      const none = activeToken(`no-aud-${adapter}`, { aud: undefined });
      expect((await call(base, none)).status).toBe(401);
      const odd = activeToken(`odd-aud-${adapter}`, { aud: { AUDIENCE } });
      expect((await call(base, odd)).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('accepts when any aud value is expected: aud a list, audience a list', async () => {
    const { app, base } = await start(adapter, {
      accessToken: options({ audience: ['https://legacy-api.example.com', AUDIENCE] }),
    });
    try {
      const inList = activeToken(`aud-list-${adapter}`, { aud: ['https://another-api.example.com', AUDIENCE] });
      expect((await call(base, inList)).status).toBe(200);
      const legacy = activeToken(`aud-legacy-${adapter}`, { aud: 'https://legacy-api.example.com' });
      expect((await call(base, legacy)).status).toBe(200);
      const neither = activeToken(`aud-neither-${adapter}`, { aud: ['https://another-api.example.com'] });
      expect((await call(base, neither)).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('audience: false accepts any audience, knowingly', async () => {
    const { app, base } = await start(adapter, { accessToken: options({ audience: false }) });
    try {
      const elsewhere = activeToken(`any-aud-${adapter}`, { aud: 'https://another-api.example.com' });
      expect((await call(base, elsewhere)).status).toBe(200);
      expect((await call(base, activeToken(`no-aud-ok-${adapter}`, { aud: undefined }))).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('checks iss where issuer is given (a string or a list); without issuer, iss is not checked', async () => {
    const { app, base } = await start(adapter, { accessToken: options({ issuer: [ISSUER] }) });
    try {
      expect((await call(base, activeToken(`iss-ok-${adapter}`))).status).toBe(200);
      const foreign = activeToken(`iss-foreign-${adapter}`, { iss: 'https://evil.example.com' });
      expect((await call(base, foreign)).status).toBe(401);
      const missing = activeToken(`iss-missing-${adapter}`, { iss: undefined });
      expect((await call(base, missing)).status).toBe(401);
    } finally {
      await app.close();
    }
    const unchecked = await start(adapter, { accessToken: options() });
    try {
      const foreign = activeToken(`iss-unchecked-${adapter}`, { iss: 'https://evil.example.com' });
      expect((await call(unchecked.base, foreign)).status).toBe(200);
    } finally {
      await unchecked.app.close();
    }
  });

  it('by default asks on every request, so a revoked token stops working at once', async () => {
    const { app, base } = await start(adapter, { accessToken: options() });
    try {
      const token = activeToken(`revoked-${adapter}`);
      asked = [];
      for (let i = 0; i < 3; i++) expect((await call(base, token)).status).toBe(200);
      expect(asked).toEqual([token, token, token]);
      answers.set(token, { active: false }); // revoked at the authorization server
      const res = await call(base, token);
      expect(res.status).toBe(401);
      expect(res.json().error).toBe('invalid_token');
    } finally {
      await app.close();
    }
  });

  it('never keeps an inactive answer: the token is asked about again, and passes once it is active', async () => {
    const { app, base } = await start(adapter, { accessToken: options({ cacheSeconds: 60 }) });
    try {
      const token = `later-${adapter}`;
      asked = [];
      expect((await call(base, token)).status).toBe(401);
      expect((await call(base, token)).status).toBe(401);
      activeToken(token);
      expect((await call(base, token)).status).toBe(200);
      expect(asked).toEqual([token, token, token]);
    } finally {
      await app.close();
    }
  });

  it('keeps an active answer cacheSeconds (the module clock), never longer: then a revocation is seen', async () => {
    let skewMs = 0;
    const { app, base } = await start(adapter, {
      // The module's clock runs ahead of the real one; proofs (real iat) stay within maxProofAge.
      now: () => Date.now() + skewMs,
      accessToken: options({ cacheSeconds: 10 }),
    });
    try {
      const token = activeToken(`kept-${adapter}`);
      asked = [];
      expect((await call(base, token)).status).toBe(200);
      answers.set(token, { active: false }); // revoked: the kept answer still serves for up to 10 s
      skewMs = 9_000;
      expect((await call(base, token)).status).toBe(200);
      expect(asked).toEqual([token]);
      skewMs = 10_500;
      const res = await call(base, token);
      expect(res.status).toBe(401);
      expect(asked).toEqual([token, token]);
    } finally {
      await app.close();
    }
  });
});

describe('Introspection configuration', () => {
  const base = { type: 'introspection', endpoint: 'https://as.example.com/introspect', clientId: 'rs' } as const;

  it('starting without audience fails with a DpopConfigurationError naming accessToken.audience', async () => {
    const error: unknown = await start('express', {
      accessToken: { ...base, clientSecret: 's3cret' } as unknown as IntrospectionOptions,
    }).then(
      ({ app }) => app.close(),
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect((error as DpopConfigurationError).option).toBe('accessToken.audience');
    expect((error as Error).message).toMatch(
      /^DpopModule option "accessToken.audience" is required for introspection: .*audience: false accepts/,
    );
  });

  it('cacheSeconds longer than accessTokenCache.maxTtlSeconds is refused at start-up', async () => {
    const boot = start('express', {
      accessTokenCache: { maxTtlSeconds: 60 },
      accessToken: { ...base, clientSecret: 's3cret', audience: AUDIENCE, cacheSeconds: 120 },
    });
    await expect(boot).rejects.toThrow(/"accessToken.cacheSeconds" must be at most accessTokenCache.maxTtlSeconds/);
  });
});
