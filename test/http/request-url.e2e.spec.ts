import type { INestApplication } from '@nestjs/common';
import { generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, MemoryLogger, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// The URL a proof's htu is held to: publicUrl, trustProxy, a Host the client chose, allowedHosts, dot segments.
const f = useGuardFixture();

describe.each(ADAPTERS)('The request URL on %s', (adapter) => {
  it('behind a proxy: publicUrl with a path prefix names the URL proofs must carry', async () => {
    const { app, base } = await start(adapter, f.jwtOptions({ publicUrl: 'https://api.example.com/v1/' }));
    try {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      const good = await generateProof(f.client, 'https://api.example.com/v1/api/me', 'GET', undefined, token);
      expect((await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: good } })).status).toBe(
        200,
      );
      const direct = await generateProof(f.client, `${base}/api/me`, 'GET', undefined, token);
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
    const token = await f.mint({ cnf: { jkt: f.jkt } });
    const trusting = await start(adapter, f.jwtOptions({ trustProxy: true }));
    const plain = await start(adapter, f.jwtOptions());
    try {
      const proof = () => generateProof(f.client, 'https://edge.example.com/svc/api/me', 'GET', undefined, token);
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

  describe('a Host header that is not a plain host and port', () => {
    let app: INestApplication;
    let base: string;
    let port: number;
    beforeAll(async () => {
      ({ app, base, port } = await start(adapter, f.jwtOptions()));
    });
    afterAll(() => app.close());

    it.each([
      ['a path and a query', (p: number) => `127.0.0.1:${p}/api/other?`],
      ['a path and a fragment', (p: number) => `127.0.0.1:${p}/api/other#`],
      ['userinfo', (p: number) => `evil@127.0.0.1:${p}`],
      ['a backslash', (p: number) => `127.0.0.1:${p}\\api\\other`],
      ['whitespace', (p: number) => `127.0.0.1 :${p}`],
      ['an empty port', () => '127.0.0.1:'],
      ['port 0', () => '127.0.0.1:0'],
      ['port 65536', () => '127.0.0.1:65536'],
      ['an unbracketed IPv6 literal', () => '::1'],
      ['an IPv6 zone id', () => '[fe80::1%25eth0]'],
    ])('Host with %s → 400 invalid_request, and the proof is not consumed', async (_name, host) => {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      // The attack: a proof made for /api/other, sent to /api/me with a Host that smuggles /api/other in.
      const forOther = await generateProof(f.client, `${base}/api/other`, 'GET', undefined, token);
      const smuggled = await send(`${base}/api/me`, {
        headers: { host: host(port), authorization: `DPoP ${token}`, dpop: forOther },
      });
      expect(smuggled.status).toBe(400);
      expect(smuggled.json()).toEqual({ error: 'invalid_request', error_description: 'The request is malformed' });
      expect(smuggled.headers['www-authenticate']).toMatch(/^DPoP error="invalid_request", /);
      expect(smuggled.body).not.toContain('other');
      // A valid proof refused for its Host is not recorded: with a good Host the same proof passes.
      const proof = await generateProof(f.client, `${base}/api/me`, 'GET', undefined, token);
      const bad = await send(`${base}/api/me`, {
        headers: { host: host(port), authorization: `DPoP ${token}`, dpop: proof },
      });
      expect(bad.status).toBe(400);
      const good = await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      expect(good.status).toBe(200);
    });

    it('accepts a bracketed IPv6 literal, a reg-name and an explicit port', async () => {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      for (const host of ['[::1]:8443', 'api.example.com', `LOCALHOST:${port}`]) {
        const url = `http://${host.toLowerCase()}/api/me`;
        const res = await send(`${base}/api/me`, {
          headers: {
            host,
            authorization: `DPoP ${token}`,
            dpop: await generateProof(f.client, url, 'GET', undefined, token),
          },
        });
        expect(res.status).toBe(200);
      }
    });

    it('a path with a dot segment, raw or percent-encoded → 400, before any proof is consumed', async () => {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      const proof = await generateProof(f.client, `${base}/api/me`, 'GET', undefined, token);
      for (const rawPath of [
        '/api/files/../me',
        '/api/files/%2e%2e/me',
        '/api/files/%2E%2E/me',
        '/api/files/.%2e/me',
        '/api/files/./me',
        '/api/files/%2E/me',
      ]) {
        const res = await send(`${base}/api/me`, { rawPath, headers: { authorization: `DPoP ${token}`, dpop: proof } });
        expect(res.status, rawPath).toBe(400);
        expect(res.json().error).toBe('invalid_request');
      }
      // Names that merely contain dots are ordinary segments.
      const dotted = await send(`${base}/api/files/...x/.y`, {
        rawPath: '/api/files/...x/.y',
        headers: await f.dpopHeaders(base, 'GET', '/api/files/...x/.y', token),
      });
      expect(dotted.status).toBe(200);
      expect((await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: proof } })).status).toBe(
        200,
      );
    });
  });

  describe('trustProxy: X-Forwarded-* values are checked, never pasted', () => {
    let app: INestApplication;
    let base: string;
    beforeAll(async () => {
      ({ app, base } = await start(adapter, f.jwtOptions({ trustProxy: true })));
    });
    afterAll(() => app.close());
    const good = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.com', 'x-forwarded-prefix': '/svc' };

    it.each([
      ['X-Forwarded-Host with a path', { 'x-forwarded-host': 'edge.example.com/api/other?' }],
      ['X-Forwarded-Host with userinfo', { 'x-forwarded-host': 'a@edge.example.com' }],
      ['X-Forwarded-Proto other than http(s)', { 'x-forwarded-proto': 'javascript' }],
      ['X-Forwarded-Prefix with a query', { 'x-forwarded-prefix': '/svc?x=' }],
      ['X-Forwarded-Prefix with a fragment', { 'x-forwarded-prefix': '/svc#' }],
      ['X-Forwarded-Prefix with a dot segment', { 'x-forwarded-prefix': '/svc/..' }],
      ['X-Forwarded-Prefix with an encoded dot segment', { 'x-forwarded-prefix': '/%2e%2e/svc' }],
      ['X-Forwarded-Prefix not starting with /', { 'x-forwarded-prefix': 'svc' }],
    ])('%s → 400 invalid_request', async (_name, override) => {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      const proof = await generateProof(f.client, 'https://edge.example.com/svc/api/me', 'GET', undefined, token);
      const res = await send(`${base}/api/me`, {
        headers: { ...good, ...override, authorization: `DPoP ${token}`, dpop: proof },
      });
      expect(res.status).toBe(400);
      expect(res.json().error).toBe('invalid_request');
      const ok = await send(`${base}/api/me`, { headers: { ...good, authorization: `DPoP ${token}`, dpop: proof } });
      expect(ok.status).toBe(200);
    });
  });

  describe('allowedHosts', () => {
    it('refuses any Host not listed (400) and accepts the listed ones; an entry without a port allows any port', async () => {
      const { app, base, port } = await start(
        adapter,
        f.jwtOptions({ allowedHosts: ['api.example.com', `127.0.0.1:${port0()}`, 'localhost'] }),
      );
      try {
        const token = await f.mint({ cnf: { jkt: f.jkt } });
        const call = async (host: string) =>
          send(`${base}/api/me`, {
            headers: {
              host,
              authorization: `DPoP ${token}`,
              dpop: await generateProof(f.client, `http://${host}/api/me`, 'GET', undefined, token),
            },
          });
        expect((await call('api.example.com')).status).toBe(200);
        expect((await call('API.EXAMPLE.COM')).status).toBe(200);
        expect((await call(`localhost:${port}`)).status).toBe(200);
        for (const host of ['evil.example.com', `127.0.0.1:${port}`, 'api.example.com.evil.net']) {
          const res = await call(host);
          expect(res.status, host).toBe(400);
          expect(res.json().error).toBe('invalid_request');
        }
      } finally {
        await app.close();
      }
    });
  });

  describe('the start-up warning', () => {
    it('warns once when neither publicUrl nor allowedHosts is set, saying what to set; not when one is', async () => {
      const logger = new MemoryLogger();
      const open = await start(adapter, f.jwtOptions(), false, undefined, logger);
      await open.app.close();
      const warnings = logger.lines.filter(
        (l) => l.level === 'warn' && /Neither publicUrl nor allowedHosts/.test(l.message),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/Set publicUrl .* or allowedHosts/);
      for (const extra of [{ publicUrl: 'https://api.example.com' }, { allowedHosts: ['api.example.com'] }]) {
        const quiet = new MemoryLogger();
        const configured = await start(adapter, f.jwtOptions(extra), false, undefined, quiet);
        await configured.app.close();
        expect(quiet.lines.filter((l) => /Neither publicUrl/.test(l.message))).toHaveLength(0);
      }
    });
  });
});

/** A port no test app listens on: a listed host:port that is never the one requests use. */
function port0(): number {
  return 1;
}
