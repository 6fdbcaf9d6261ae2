import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dpop, DpopBound, DpopModule, MemoryDpopStore, jwkThumbprint } from '../../lib/index.js';

/**
 * Property-based fuzzing of the `Authorization` and `DPoP` headers against a
 * running app: every answer is 400 or 401 (200 only for a proof that really
 * is valid), the process stays up, memory stays bounded, and no replay
 * record is written for a rejected proof. Fixed seed and count:
 * FUZZ_SEED and FUZZ_RUNS override them.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const ISSUER = 'https://as.example.com';

/** A store that counts what it records. */
class CountingStore extends MemoryDpopStore {
  recorded = 0;
  override async rememberProof(key: string, expiresAt: number): Promise<boolean> {
    const fresh = await super.rememberProof(key, expiresAt);
    if (fresh) this.recorded++;
    return fresh;
  }
}

@Controller('api')
@DpopBound({ allowBearer: true })
class FuzzController {
  @Get('me')
  me(@Dpop('jkt') jkt?: string) {
    return { jkt: jkt ?? null };
  }
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('fuzzing the Authorization and DPoP headers', () => {
  let app: INestApplication;
  let port: number;
  const store = new CountingStore({ maxEntries: 1_000_000 });
  let asKey: CryptoKey;
  let clientKey: CryptoKey;
  let clientJwk: JWK;
  let token: string;
  let unbound: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    const as = await generateKeyPair('ES256');
    asKey = as.privateKey;
    const client = await generateKeyPair('ES256', { extractable: true });
    clientKey = client.privateKey;
    clientJwk = await exportJWK(client.publicKey);
    const mint = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(ISSUER)
        .setAudience('api')
        .setExpirationTime('1h')
        .sign(asKey);
    token = await mint({ sub: 'fuzz', cnf: { jkt: await jwkThumbprint(clientJwk) } });
    unbound = await mint({ sub: 'fuzz' });
    @Module({
      imports: [
        DpopModule.forRoot({
          store,
          publicUrl: 'http://fuzz.example',
          accessToken: { type: 'jwt', issuer: ISSUER, audience: 'api', keys: [await exportJWK(as.publicKey)] },
        }),
      ],
      controllers: [FuzzController],
    })
    class FuzzModule {}
    app = await NestFactory.create(FuzzModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await app?.close();
  });

  function send(headers: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/me', headers, agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The arbitraries; built in the test, once the keys and tokens exist. */
  function arbitraries() {
    // --- arbitraries ---
    const headerText = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 300,
    });
    const latin1 = fc.string({
      unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)),
      maxLength: 50,
    });
    const b64segment = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      maxLength: 200,
    });
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    const deepJson = fc.integer({ min: 1, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));
    const claimValue = fc.oneof(anyJson, fc.string({ maxLength: 5000 }), fc.constant(undefined));

    const header = fc.record(
      {
        typ: fc.oneof(fc.constant('dpop+jwt'), fc.constantFrom('jwt', 'DPOP+JWT', 'at+jwt', ''), anyJson),
        alg: fc.oneof(
          fc.constant('ES256'),
          fc.constantFrom('none', 'HS256', 'RS256', 'EdDSA', 'ES384', 'es256'),
          anyJson,
        ),
        jwk: fc.oneof(
          fc.constant(clientJwk),
          fc.constant({ ...clientJwk, d: 'AAAA' }),
          fc.constant({ kty: 'oct', k: 'c2VjcmV0' }),
          fc.record({
            kty: fc.constantFrom('EC', 'RSA', 'OKP', 'oct'),
            crv: fc.string(),
            x: b64segment,
            y: b64segment,
          }),
          anyJson,
        ),
        crit: fc.constant(['b64']),
      },
      { requiredKeys: [] },
    );
    const payload = fc.record(
      {
        jti: fc.oneof(fc.uuid(), fc.string({ maxLength: 20_000 }), anyJson),
        htm: fc.oneof(fc.constant('GET'), fc.constantFrom('get', 'POST', ''), anyJson),
        htu: fc.oneof(
          fc.constant('http://fuzz.example/api/me'),
          fc.constantFrom(
            'http://FUZZ.example:80/api/./me',
            'http://fuzz.example//api/me',
            'http://evil.example/api/me',
            'http://fuzz.example@evil/api/me',
          ),
          fc.webUrl(),
          anyJson,
        ),
        iat: fc.oneof(fc.constant('now'), fc.double(), fc.integer(), anyJson),
        ath: fc.oneof(fc.constant('right'), b64segment, anyJson),
        nonce: fc.oneof(fc.string({ maxLength: 10_000 }), anyJson),
        extra: claimValue,
      },
      { requiredKeys: [] },
    );

    /** Builds a proof: real signature over fuzzed content, or garbage, or raw text (JSON bombs, duplicate keys). */
    const proof = fc.oneof(
      {
        arbitrary: fc
          .tuple(header, payload, fc.boolean())
          .map(([h, p, sign]) => ({ kind: 'signed' as const, h, p, sign })),
        weight: 6,
      },
      fc
        .tuple(deepJson, fc.constantFrom('header', 'payload'))
        .map(([deep, where]) => ({ kind: 'bomb' as const, deep, where })),
      fc.constant({ kind: 'duplicate-keys' as const }),
      fc.tuple(b64segment, b64segment, b64segment).map((parts) => ({ kind: 'segments' as const, parts })),
      headerText.map((text) => ({ kind: 'text' as const, text })),
      fc.integer({ min: 8000, max: 12_000 }).map((size) => ({ kind: 'oversized' as const, size })),
    );

    const authorization = fc.oneof(
      { arbitrary: fc.constant(() => `DPoP ${token}`), weight: 8 },
      fc.constant(() => `Bearer ${token}`),
      fc.constant(() => `DPoP ${unbound}`),
      fc.constant(() => `dpop ${token}`),
      headerText.map((text) => () => text),
      latin1.map((text) => () => `DPoP ${text}`),
      fc.constant(() => `DPoP ${'A'.repeat(15_000)}`),
      fc.constant(() => ''),
    );
    const shape = fc.oneof(
      { arbitrary: fc.constant('one'), weight: 12 },
      fc.constantFrom('two-dpop', 'two-auth', 'no-dpop', 'comma'),
    );

    return { authorization, proof, shape };
  }

  type Proof = ReturnType<typeof arbitraries>['proof'] extends fc.Arbitrary<infer T> ? T : never;

  async function render(p: Proof): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claim = (value: unknown, name: string) => {
      if (value === 'now' && name === 'iat') return now;
      if (value === 'right' && name === 'ath') return createHash('sha256').update(token).digest('base64url');
      return value;
    };
    switch (p.kind) {
      case 'signed': {
        const h = { ...p.h };
        const claims: Record<string, unknown> = { jti: randomUUID() };
        for (const [name, value] of Object.entries(p.p)) if (value !== undefined) claims[name] = claim(value, name);
        const input = `${b64(h)}.${b64(claims)}`;
        if (!p.sign) return `${input}.${b64('not a signature')}`;
        const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, clientKey, Buffer.from(input));
        return `${input}.${Buffer.from(signature).toString('base64url')}`;
      }
      case 'bomb': {
        const h =
          p.where === 'header'
            ? `{"typ":"dpop+jwt","alg":"ES256","jwk":${JSON.stringify(clientJwk)},"x":${p.deep}}`
            : JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: clientJwk });
        const c =
          p.where === 'payload'
            ? `{"jti":"${randomUUID()}","htm":"GET","x":${p.deep}}`
            : JSON.stringify({ jti: randomUUID() });
        return `${b64(h)}.${b64(c)}.${b64('sig')}`;
      }
      case 'duplicate-keys': {
        const h = `{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":${JSON.stringify(clientJwk)}}`;
        const c = `{"jti":"${randomUUID()}","htm":"GET","htm":"POST","htu":"http://fuzz.example/api/me","iat":${now}}`;
        const input = `${b64(h)}.${b64(c)}`;
        const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, clientKey, Buffer.from(input));
        return `${input}.${Buffer.from(signature).toString('base64url')}`;
      }
      case 'segments':
        return p.parts.join('.');
      case 'text':
        return p.text;
      case 'oversized':
        return `${'A'.repeat(p.size)}.${'B'.repeat(10)}.${'C'.repeat(10)}`;
    }
  }

  it(`${RUNS} adversarial header pairs: only 400/401 (200 only when valid), no record for a refusal`, async () => {
    const { authorization, proof, shape } = arbitraries();
    const rssBefore = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(authorization, proof, shape, async (auth, p, how) => {
        const value = await render(p);
        const headers: Record<string, string | string[]> = { authorization: auth() };
        if (how === 'one') headers.dpop = value;
        if (how === 'two-dpop') headers.dpop = [value, value];
        if (how === 'two-auth') {
          headers.authorization = [auth(), auth()];
          headers.dpop = value;
        }
        if (how === 'comma') headers.dpop = `${value}, ${value}`;
        const before = store.recorded;
        let res;
        try {
          res = await send(headers);
        } catch (error) {
          // Node's client refuses some header values before sending: nothing reached the server.
          if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') return;
          throw error;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) {
          expect(p).toMatchObject({ kind: 'signed' });
          return;
        }
        expect([400, 401, 431]).toContain(res.status);
        expect(store.recorded).toBe(before);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // the process is up and still serves a valid request
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: clientJwk })}.${b64({
      jti: randomUUID(),
      htm: 'GET',
      htu: 'http://fuzz.example/api/me',
      iat: now,
      ath: createHash('sha256').update(token).digest('base64url'),
    })}`;
    const signature = Buffer.from(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, clientKey, Buffer.from(input)),
    ).toString('base64url');
    expect((await send({ authorization: `DPoP ${token}`, dpop: `${input}.${signature}` })).status).toBe(200);
    const growth = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    console.log(
      `fuzz: ${RUNS} runs, seed ${SEED}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, rss growth ${growth.toFixed(1)} MiB`,
    );
    expect(growth).toBeLessThan(300);
  });
});
