import type { INestApplication } from '@nestjs/common';
import express, { type ErrorRequestHandler } from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_FAPI_TEST_PRIVATE_JWK } from '../../sample/oauth/demo-fapi-test-key.js';
import { start, useGuardFixture } from '../helpers/guard-app.js';
import { startSample } from '../helpers/sample-app.js';
import { casesOf, jwkFile, runCheck } from './run-check.js';

interface HttpError {
  status?: number;
  headers?: Record<string, string>;
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

describe('nestjs-dpop check against the sample (client credentials, client_secret_basic)', () => {
  let app: INestApplication;
  let issuer: string;
  beforeAll(async () => ({ app, issuer } = await startSample()));
  afterAll(() => app?.close());

  it('exits 0: every required case holds', async () => {
    const run = await runCheck([
      'check',
      `${issuer}/api/me`,
      ...['--issuer', issuer, '--client-id', 'demo-service', '--client-secret', 'demo-service-secret'],
      ...['--scope', 'api', '--json'],
    ]);
    expect(run.stderr).not.toContain('demo-service-secret');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const cases = casesOf(run);
    expect(cases.size).toBeGreaterThanOrEqual(40);
    for (const id of ['accepted', 'replay', 'bearer', 'dpop-twice', 'alg-none', 'alg-hs256', 'other-key', 'htu-path']) {
      expect(cases.get(id)?.status, id).toBe('pass');
    }
    expect(cases.get('nonce')?.status).toBe('skip');
    const report = JSON.parse(run.stdout) as { summary: { requests: number } };
    expect(report.summary.requests).toBeLessThanOrEqual(120);
  });

  it.each(['jwk', 'pem'])(
    '--private-key (%s): the client assertion is made and sent; a refused grant is a setup error (exit 2)',
    async (format) => {
      const jwk = { ...DEMO_FAPI_TEST_PRIVATE_JWK, use: undefined };
      const pem = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
      const file = format === 'jwk' ? jwkFile(jwk) : jwkFile(jwk).replace(/json$/, 'pem');
      if (format === 'pem') writeFileSync(file, pem);
      // demo-fapi authenticates with private_key_jwt but may not use the client-credentials grant: the sample
      // authenticates the client first, so unauthorized_client (not invalid_client) shows the assertion verified.
      const run = await runCheck([
        'check',
        `${issuer}/api/me`,
        ...['--issuer', issuer, '--client-id', 'demo-fapi', '--private-key', file],
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('refused the client-credentials request unauthorized_client');
      expect(run.stderr).not.toContain(DEMO_FAPI_TEST_PRIVATE_JWK.d);
    },
  );

  it('--method POST and --header on another route: exits 0, a progress line per case, then the table', async () => {
    const run = await runCheck([
      'check',
      `${issuer}/api/echo`,
      ...['--issuer', issuer, '--client-id', 'demo-service', '--client-secret', 'demo-service-secret'],
      ...['--scope', 'api', '--method', 'POST', '--header', 'X-Request-Id: dpop-check'],
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('nestjs-dpop check: POST');
    expect(run.stdout).toContain('Every required case holds.');
    expect(run.stderr.split('\n').filter((line) => /^\[ ?\d+\/44\] (PASS|SKIP|WARN|FAIL) /.test(line))).toHaveLength(
      44,
    );
  });
});

describe('nestjs-dpop check against the sample with server nonces', () => {
  let app: INestApplication;
  let issuer: string;
  beforeAll(async () => ({ app, issuer } = await startSample({ nonce: true })));
  afterAll(() => app?.close());

  it('exits 0 with use_dpop_nonce, then success with the nonce', async () => {
    const run = await runCheck([
      'check',
      `${issuer}/api/me`,
      ...['--issuer', issuer, '--client-id', 'demo-service', '--client-secret', 'demo-service-secret'],
      ...['--scope', 'api', '--json'],
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const cases = casesOf(run);
    expect(cases.get('nonce')?.status).toBe('pass');
    expect(cases.get('nonce-wrong')?.status).toBe('pass');
  });
});

describe('nestjs-dpop check against express-oauth2-jwt-bearer in DPoP mode (no replay detection)', () => {
  let server: Server;
  let base: string;
  let token: string;
  let keyFile: string;
  beforeAll(async () => {
    const as = await generateKeyPair('ES256', { extractable: true });
    const asJwk: JWK = { ...(await exportJWK(as.publicKey)), kid: 'as-1', alg: 'ES256' };
    const client = await generateKeyPair('ES256', { extractable: true });
    keyFile = jwkFile(await exportJWK(client.privateKey));
    const jkt = await calculateJwkThumbprint(await exportJWK(client.publicKey));
    const issuer = 'https://as.example.com/';
    const audience = 'https://api.example.com';
    token = await new SignJWT({ cnf: { jkt }, scope: 'api' })
      .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(as.privateKey);
    const api = express();
    api.get(
      '/api/me',
      auth({ issuer, audience, publicKey: asJwk, tokenSigningAlg: 'ES256', dpop: { enabled: true, required: true } }),
      (req, res) => {
        res.json({ sub: req.auth?.payload.sub });
      },
    );
    // Its errors carry their status and WWW-Authenticate challenge (RFC 6750 §3); nothing logged.
    api.use(((error, _req, res, _next) => {
      const { status = 500, headers = {} } = error as HttpError;
      res.status(status).set(headers).end();
    }) as ErrorRequestHandler);
    server = createServer(api);
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('exits 1 with the replay case failing and its hint; never prints the token', async () => {
    const run = await runCheck(['check', `${base}/api/me`, '--token', token, '--key', keyFile]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/FAIL replay/);
    expect(run.stdout).toContain('Replay detection is missing');
    expect(run.stdout + run.stderr).not.toContain(token);
    const json = await runCheck(['check', `${base}/api/me`, '--token', token, '--key', keyFile, '--json']);
    const cases = casesOf(json);
    expect(cases.get('accepted')?.status).toBe('pass');
    expect(cases.get('replay')?.status).toBe('fail');
    expect(cases.get('replay')?.hint).toContain('Replay detection is missing');
  });
});

/** A proxy that forwards /prefix/* to the app's /*, passing every header (Host too) as sent. */
function prefixProxy(target: () => string): Server {
  return createServer((req, res) => {
    if (!req.url?.startsWith('/prefix/')) {
      res.writeHead(404).end();
      return;
    }
    // Every header line as sent (a header given twice stays twice).
    const headers: Record<string, string | string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      const value = req.rawHeaders[i + 1]!;
      const seen = headers[name];
      headers[name] = seen === undefined ? value : [seen, value].flat();
    }
    const app = new URL(target());
    const upstream = request(
      { hostname: app.hostname, port: app.port, path: req.url.slice('/prefix'.length), method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
}

describe('nestjs-dpop check against the guard behind a path-prefixing proxy', () => {
  const fixture = useGuardFixture();
  const apps: INestApplication[] = [];
  let proxy: Server;
  let proxyUrl: string;
  let appUrl = '';
  let keyFile: string;
  beforeAll(async () => {
    proxy = prefixProxy(() => appUrl);
    proxyUrl = await listen(proxy);
    keyFile = jwkFile(await exportJWK(fixture.client.privateKey));
  });
  afterAll(async () => {
    await close(proxy);
    for (const app of apps) await app.close();
  });

  it('without publicUrl: exits 1 and the hint names publicUrl', async () => {
    const { app, base } = await start('express', fixture.jwtOptions());
    apps.push(app);
    appUrl = base;
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const run = await runCheck(['check', `${proxyUrl}/prefix/api/me`, '--token', token, '--key', keyFile]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/FAIL accepted/);
    expect(run.stdout).toContain('the server rebuilds a different URL');
    expect(run.stdout).toContain('Set publicUrl to the URL clients call');
    expect(run.stdout).toContain(`'${proxyUrl}/prefix'`);
    expect(run.stdout + run.stderr).not.toContain(token);
  });

  it('with publicUrl set as the hint says: exits 0', async () => {
    const { app, base } = await start('express', fixture.jwtOptions({ publicUrl: `${proxyUrl}/prefix` }));
    apps.push(app);
    appUrl = base;
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const run = await runCheck(['check', `${proxyUrl}/prefix/api/me`, '--token', token, '--key', keyFile, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});
