import { generateProof } from 'dpop';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Controller, Get } from '@nestjs/common';
import { Dpop, DpopBound, type DpopModuleOptions } from '../../lib/index.js';
import { ADAPTERS, AUDIENCE, ISSUER, MemoryLogger, start, useGuardFixture } from '../helpers/guard-app.js';
import { RFC9449_EXAMPLE, RFC9449_RESOURCE_EXAMPLE } from '../helpers/proofs.js';
import { httpServer, send } from '../helpers/servers.js';

// How DpopGuard verifies access tokens: a custom function, a JWK set that is down, the RFC 9449 §7.1 example
// request, and configuration errors. RFC 7662 introspection: introspection.e2e.spec.ts.
const f = useGuardFixture();

describe.each(ADAPTERS)('DpopGuard token verification on %s', (adapter) => {
  it('a custom verifier function', async () => {
    const { app, base } = await start(adapter, {
      accessToken: {
        type: 'custom',
        verify: (token) => (token === 'let-me-in' ? { sub: 'carol', cnf: { jkt: f.jkt } } : null),
      },
    });
    try {
      const ok = await send(`${base}/api/me`, {
        headers: {
          authorization: 'DPoP let-me-in',
          dpop: await generateProof(f.client, `${base}/api/me`, 'GET', undefined, 'let-me-in'),
        },
      });
      expect(ok.json()).toMatchObject({ sub: 'carol', jkt: f.jkt });
      const no = await send(`${base}/api/me`, {
        headers: {
          authorization: 'DPoP nope',
          dpop: await generateProof(f.client, `${base}/api/me`, 'GET', undefined, 'nope'),
        },
      });
      expect(no.json().error).toBe('invalid_token');
    } finally {
      await app.close();
    }
  });
});
describe.each(ADAPTERS)('DpopGuard with the RFC 9449 §7.1 example request on %s', (adapter) => {
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
      const res = await send(`${base}/api/me`, { headers: await f.boundRequest(base) });
      expect(res.status).toBe(503);
      expect(res.json().error).toBe('temporarily_unavailable');
    } finally {
      await app.close();
      await down.close();
    }
  });
});
describe.each(ADAPTERS)('Why a token was refused, on %s', (adapter) => {
  it('the debug log carries jose’s reason (code and claim); the response carries only the constant description', async () => {
    const logger = new MemoryLogger();
    const { app, base } = await start(adapter, f.jwtOptions(), false, undefined, logger);
    try {
      const token = await new SignJWT({ cnf: { jkt: f.jkt } })
        .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience('https://another-api.example.com')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(f.asKey);
      const res = await send(`${base}/api/me`, { headers: await f.dpopHeaders(base, 'GET', '/api/me', token) });
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is not valid' });
      expect(res.body + JSON.stringify(res.headers)).not.toMatch(/ERR_|aud|another-api/);
      const debug = logger.lines.filter((l) => l.level === 'debug' && /refused/.test(l.message));
      expect(debug.map((l) => l.message)).toContainEqual(
        expect.stringContaining('ERR_JWT_CLAIM_VALIDATION_FAILED aud'),
      );
    } finally {
      await app.close();
    }
  });
});

describe('DpopGuard configuration', () => {
  it('fails the boot with a clear message when accessToken is not configured', async () => {
    await expect(start('express', {})).rejects.toThrow(/DpopGuard needs the DpopModule option "accessToken"/);
  });
});
