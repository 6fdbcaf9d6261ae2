import { Body, Controller, Get, Module, Post, type INestApplication, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { calculateThumbprint, generateKeyPair as clientKeyPair, generateProof, type KeyPair } from 'dpop';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConfirmation,
  Dpop,
  DpopBound,
  DpopGuard,
  DpopModule,
  type DpopContext,
  type DpopModuleOptions,
} from '../../lib/index.js';
import { RFC9449_EXAMPLE, RFC9449_RESOURCE_EXAMPLE } from '../helpers/proofs.js';
import { httpServer, httpsServer, send, testCertificate, type TestServer } from '../helpers/servers.js';

const ISSUER = 'https://as.example.com';
const AUDIENCE = 'https://api.example.com';

@Controller('api')
@DpopBound()
class ApiController {
  @Get('me')
  me(@Dpop() dpop: DpopContext) {
    return { jkt: dpop.jkt, sub: dpop.token.sub, scheme: dpop.scheme, htm: dpop.proof?.htm };
  }

  @Post('echo')
  echo(@Body() body: unknown, @Dpop('jkt') jkt: string) {
    return { body, jkt };
  }

  @Get('mixed')
  @DpopBound({ allowBearer: true })
  mixed(@Dpop() dpop: DpopContext) {
    return { scheme: dpop.scheme, jkt: dpop.jkt ?? null };
  }

  @Get('nonce')
  @DpopBound({ nonce: true })
  nonce(@Dpop('jkt') jkt: string) {
    return { jkt };
  }
}

@Controller('open')
class OpenController {
  @Get()
  open() {
    return { open: true };
  }
}

type AdapterName = 'express' | 'fastify';

async function start(
  adapter: AdapterName,
  options: DpopModuleOptions,
  globalGuard = false,
  controllers: Type[] = [ApiController, OpenController],
): Promise<{ app: INestApplication; base: string }> {
  @Module({
    imports: [DpopModule.forRoot({ isGlobal: true, ...options })],
    controllers,
    providers: globalGuard ? [{ provide: APP_GUARD, useClass: DpopGuard }] : [],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: ['error'],
    abortOnError: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

let asKey: CryptoKey;
let asJwk: JWK;
let jwks: TestServer;
let client: KeyPair;
let clientJwk: JWK;
let jkt: string;
let jkuServer: TestServer;
let tls: { key: string; cert: string };
const jkuKeys: JWK[] = [];
const jkuHits: string[] = [];

async function mint(claims: Record<string, unknown>, lifetime = '5m'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(asKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  asKey = pair.privateKey;
  asJwk = { ...(await exportJWK(pair.publicKey)), kid: 'as-1', alg: 'ES256', use: 'sig' };
  jwks = await httpServer((_req, _body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [asJwk] }));
  });
  client = await clientKeyPair('ES256', { extractable: true });
  clientJwk = await exportJWK(client.publicKey);
  jkt = await calculateThumbprint(client.publicKey);
  tls = testCertificate();
  const decoy = await exportJWK((await generateKeyPair('ES256')).publicKey);
  jkuKeys.push({ ...clientJwk, kid: 'client-key' }, { ...decoy, kid: 'decoy' });
  jkuServer = await httpsServer(tls, (req, _body, res) => {
    jkuHits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/slow') return; // never answers
    if (req.url?.startsWith('/one')) res.end(JSON.stringify({ keys: [jkuKeys[0]] }));
    else if (req.url === '/big') res.end(JSON.stringify({ keys: [jkuKeys[0]], pad: 'x'.repeat(100_000) }));
    else res.end(JSON.stringify({ keys: jkuKeys }));
  });
});
afterAll(async () => {
  await jwks?.close();
  await jkuServer?.close();
});

/** Headers of a GET /api/me with a fresh key-bound token and its proof. */
async function boundRequest(base: string): Promise<Record<string, string>> {
  const token = await mint({ cnf: { jkt } });
  return {
    authorization: `DPoP ${token}`,
    dpop: await generateProof(client, `${base}/api/me`, 'GET', undefined, token),
  };
}

function jwtOptions(extra: DpopModuleOptions = {}): DpopModuleOptions {
  return {
    accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, jwksUri: `${jwks.url}/jwks` },
    resolveKid: (kid) => (kid === 'client-kid' ? clientJwk : undefined),
    jku: { allowedHosts: [new URL(jkuServer.url).host], ca: tls.cert, timeoutMs: 500 },
    ...extra,
  };
}

describe.each(['express', 'fastify'] as const)('DpopGuard on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  let bound: string;
  let unbound: string;
  beforeAll(async () => {
    ({ app, base } = await start(adapter, jwtOptions()));
    bound = await mint({ cnf: { jkt } });
    unbound = await mint({});
  });
  afterAll(() => app.close());

  const dpopHeaders = async (method: string, path: string, token: string, nonce?: string) => ({
    authorization: `DPoP ${token}`,
    dpop: await generateProof(client, `${base}${path}`, method, nonce, token),
  });

  it('accepts a bound token with a proof on GET, and exposes the DpopContext', async () => {
    const res = await send(`${base}/api/me?page=1`, { headers: await dpopHeaders('GET', '/api/me', bound) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ jkt, sub: 'alice', scheme: 'DPoP', htm: 'GET' });
  });

  it('accepts a bound token with a proof on POST with a body', async () => {
    const res = await send(`${base}/api/echo`, {
      method: 'POST',
      headers: { ...(await dpopHeaders('POST', '/api/echo', bound)), 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ body: { hello: 'world' }, jkt });
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
    for (const token of [forged, await mint({ cnf: { jkt } }, '-1m'), 'not-a-jwt']) {
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
      await generateProof(client, `${base}/api/other`, 'GET', undefined, bound),
      await generateProof(client, `${base}/api/me`, 'POST', undefined, bound),
      await generateProof(client, `${base}/api/me`, 'GET'),
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
    expect(retry.json()).toEqual({ jkt });
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
    // RFC 6750 §3: the error goes on the challenge of the scheme the client used
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

  describe('RFC 7800 confirmation methods', () => {
    const call = async (cnf: unknown) => {
      const token = await mint({ cnf });
      return send(`${base}/api/me`, { headers: await dpopHeaders('GET', '/api/me', token) });
    };
    it('cnf.jwk: the thumbprint of the confirmed key must be the proof key’s', async () => {
      expect((await call(await createConfirmation({ jwk: clientJwk, as: 'jwk' }))).status).toBe(200);
      const other = await exportJWK((await generateKeyPair('ES256')).publicKey);
      expect((await call({ jwk: other })).json().error).toBe('invalid_dpop_proof');
    });
    it('cnf.kid: resolved by the configured resolver', async () => {
      expect((await call(await createConfirmation({ kid: 'client-kid' }))).status).toBe(200);
      expect((await call({ kid: 'unknown' })).json().error).toBe('invalid_token');
    });
    it('cnf.jku: fetched over HTTPS from an allowed host, kid needed when the set has several keys', async () => {
      expect((await call({ jku: `${jkuServer.url}/one` })).status).toBe(200);
      expect((await call({ jku: `${jkuServer.url}/set`, kid: 'client-key' })).status).toBe(200);
      expect((await call({ jku: `${jkuServer.url}/set` })).json().error).toBe('invalid_token');
      expect((await call({ jku: `${jkuServer.url}/set`, kid: 'decoy' })).json().error).toBe('invalid_dpop_proof');
      expect((await call({ jku: `${jkuServer.url}/big` })).json().error).toBe('invalid_token');
      expect((await call({ jku: 'https://evil.example/keys' })).json().error).toBe('invalid_token');
      expect((await call({ jku: jkuServer.url.replace('https:', 'http:') })).json().error).toBe('invalid_token');
    });
    it('cnf.jku: a set is fetched once and reused; a key server that does not answer is an outage (503), not a bad token', async () => {
      const path = `/one?${adapter}`;
      for (let i = 0; i < 3; i++) expect((await call({ jku: `${jkuServer.url}${path}` })).status).toBe(200);
      expect(jkuHits.filter((hit) => hit === path)).toHaveLength(1);
      const started = Date.now();
      const slow = await call({ jku: `${jkuServer.url}/slow` });
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
      expect((await call({ jkt, jwk: clientJwk })).json().error).toBe('invalid_token');
      expect((await call({ jkt: 42 })).json().error).toBe('invalid_token');
      expect((await call('jkt')).json().error).toBe('invalid_token');
      expect((await call({ jkt, x5t: 'ignored' })).status).toBe(200);
    });
  });
});

describe.each(['express', 'fastify'] as const)('DpopGuard token verification and URLs on %s', (adapter) => {
  const opaque = new Map<string, Record<string, unknown>>();
  let introspection: TestServer;
  let calls = 0;
  let down = false;
  beforeAll(async () => {
    introspection = await httpServer((req, body, res) => {
      calls++;
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
      const token = new URLSearchParams(body).get('token') ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(opaque.get(token) ?? { active: false }));
    });
    opaque.set('opaque-bound', {
      active: true,
      sub: 'bob',
      token_type: 'DPoP',
      cnf: { jkt },
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    opaque.set('opaque-typed-unbound', { active: true, token_type: 'DPoP' });
  });
  afterAll(() => introspection.close());

  it('RFC 7662 introspection: active bound token passes (and is cached); inactive or odd ones are invalid; an outage is a 503', async () => {
    const { app, base } = await start(adapter, {
      accessToken: {
        type: 'introspection',
        endpoint: `${introspection.url}/introspect`,
        clientId: 'rs',
        clientSecret: 's3cret',
      },
    });
    try {
      const proof = (token: string) => generateProof(client, `${base}/api/me`, 'GET', undefined, token);
      calls = 0;
      for (let i = 0; i < 3; i++) {
        const res = await send(`${base}/api/me`, {
          headers: { authorization: 'DPoP opaque-bound', dpop: await proof('opaque-bound') },
        });
        expect(res.status).toBe(200);
        expect(res.json()).toMatchObject({ sub: 'bob', jkt });
      }
      expect(calls).toBe(1);
      for (const token of ['opaque-gone', 'opaque-typed-unbound']) {
        const res = await send(`${base}/api/me`, {
          headers: { authorization: `DPoP ${token}`, dpop: await proof(token) },
        });
        expect(res.status).toBe(401);
        expect(res.json().error).toBe('invalid_token');
      }
      down = true;
      const res = await send(`${base}/api/me`, {
        headers: { authorization: 'DPoP other', dpop: await proof('other') },
      });
      expect(res.status).toBe(503);
      expect(res.body).not.toContain('500');
    } finally {
      down = false;
      await app.close();
    }
  });

  it('a custom verifier function', async () => {
    const { app, base } = await start(adapter, {
      accessToken: {
        type: 'custom',
        verify: (token) => (token === 'let-me-in' ? { sub: 'carol', cnf: { jkt } } : null),
      },
    });
    try {
      const ok = await send(`${base}/api/me`, {
        headers: {
          authorization: 'DPoP let-me-in',
          dpop: await generateProof(client, `${base}/api/me`, 'GET', undefined, 'let-me-in'),
        },
      });
      expect(ok.json()).toMatchObject({ sub: 'carol', jkt });
      const no = await send(`${base}/api/me`, {
        headers: {
          authorization: 'DPoP nope',
          dpop: await generateProof(client, `${base}/api/me`, 'GET', undefined, 'nope'),
        },
      });
      expect(no.json().error).toBe('invalid_token');
    } finally {
      await app.close();
    }
  });

  it('behind a proxy: publicUrl with a path prefix names the URL proofs must carry', async () => {
    const { app, base } = await start(adapter, jwtOptions({ publicUrl: 'https://api.example.com/v1/' }));
    try {
      const token = await mint({ cnf: { jkt } });
      const good = await generateProof(client, 'https://api.example.com/v1/api/me', 'GET', undefined, token);
      expect((await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: good } })).status).toBe(
        200,
      );
      const direct = await generateProof(client, `${base}/api/me`, 'GET', undefined, token);
      expect((await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: direct } })).status).toBe(
        401,
      );
    } finally {
      await app.close();
    }
  });

  it('trustProxy reads X-Forwarded-Proto/Host/Prefix; without it they are ignored', async () => {
    const forwarded = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'edge.example.com',
      'x-forwarded-prefix': '/svc',
    };
    const token = await mint({ cnf: { jkt } });
    const trusting = await start(adapter, jwtOptions({ trustProxy: true }));
    const plain = await start(adapter, jwtOptions());
    try {
      const proof = () => generateProof(client, 'https://edge.example.com/svc/api/me', 'GET', undefined, token);
      const ok = await send(`${trusting.base}/api/me`, {
        headers: { ...forwarded, authorization: `DPoP ${token}`, dpop: await proof() },
      });
      expect(ok.status).toBe(200);
      const ignored = await send(`${plain.base}/api/me`, {
        headers: { ...forwarded, authorization: `DPoP ${token}`, dpop: await proof() },
      });
      expect(ignored.status).toBe(401);
      expect(ignored.json().error).toBe('invalid_dpop_proof');
    } finally {
      await trusting.app.close();
      await plain.app.close();
    }
  });

  it('registered globally (APP_GUARD) with routes opting in, each request is checked once', async () => {
    const { app, base } = await start(adapter, jwtOptions(), true);
    try {
      const res = await send(`${base}/api/me`, { headers: await boundRequest(base) });
      expect(res.status).toBe(200);
      expect((await send(`${base}/open`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe.each(['express', 'fastify'] as const)('DpopGuard with the RFC 9449 §7.1 example request on %s', (adapter) => {
  @Controller()
  class ResourceController {
    @Get('protectedresource')
    @DpopBound()
    resource(@Dpop('jkt') dpopJkt: string) {
      return { jkt: dpopJkt };
    }
  }

  it('accepts the RFC’s exact Authorization and DPoP headers (at the RFC’s time and public URL)', async () => {
    const options: DpopModuleOptions = {
      publicUrl: 'https://resource.example.org',
      now: () => RFC9449_RESOURCE_EXAMPLE.iat * 1000,
      accessToken: {
        type: 'custom',
        verify: (token) =>
          token === RFC9449_RESOURCE_EXAMPLE.accessToken ? { cnf: { jkt: RFC9449_EXAMPLE.jkt } } : null,
      },
    };
    const { app, base } = await start(adapter, options, false, [ResourceController]);
    try {
      const headers = {
        authorization: `DPoP ${RFC9449_RESOURCE_EXAMPLE.accessToken}`,
        dpop: RFC9449_RESOURCE_EXAMPLE.proof,
      };
      const res = await send(`${base}/protectedresource`, { headers });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ jkt: RFC9449_EXAMPLE.jkt });
      expect((await send(`${base}/protectedresource`, { headers })).json().error).toBe('invalid_dpop_proof'); // replay
    } finally {
      await app.close();
    }
  });
});

describe('DpopGuard when the JWK set of the token issuer is down', () => {
  it('refuses with 503 (not invalid_token: the token may be fine)', async () => {
    const down = await httpServer((_req, _body, res) => {
      res.statusCode = 503;
      res.end();
    });
    const { app, base } = await start('express', {
      accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, jwksUri: `${down.url}/jwks` },
    });
    try {
      const res = await send(`${base}/api/me`, { headers: await boundRequest(base) });
      expect(res.status).toBe(503);
      expect(res.json().error).toBe('temporarily_unavailable');
    } finally {
      await app.close();
      await down.close();
    }
  });
});

describe('DpopGuard configuration', () => {
  it('fails the boot with a clear message when accessToken is not configured', async () => {
    await expect(start('express', {})).rejects.toThrow(/DpopGuard needs the DpopModule option "accessToken"/);
  });
});
