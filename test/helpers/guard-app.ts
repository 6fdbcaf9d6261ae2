import {
  Body,
  Controller,
  Get,
  Module,
  Post,
  type INestApplication,
  type LoggerService,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { calculateThumbprint, generateKeyPair as clientKeyPair, generateProof, type KeyPair } from 'dpop';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { Dpop, DpopBound, DpopContext, DpopGuard, DpopModule, type DpopModuleOptions } from '../../lib/index.js';
import { httpServer, httpsServer, testCertificate, type TestServer } from './servers.js';

export const ISSUER = 'https://as.example.com';
export const AUDIENCE = 'https://api.example.com';
export type AdapterName = 'express' | 'fastify';
export const ADAPTERS = ['express', 'fastify'] as const;

@Controller('api')
@DpopBound()
export class ApiController {
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
  @DpopBound({ requireNonce: true })
  nonce(@Dpop('jkt') jkt: string) {
    return { jkt };
  }

  /** A router sends /api/files/../me here (segments files, .., me): see the dot-segment tests. */
  @Get('files/:dir/:name')
  files(@Dpop('jkt') jkt: string) {
    return { files: true, jkt };
  }
}

@Controller('open')
export class OpenController {
  @Get()
  open() {
    return { open: true };
  }
}

/** Logs kept in memory, to check what was logged (and that nothing leaked into responses). */
export class MemoryLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown) {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown) {
    this.lines.push({ level: 'verbose', message: String(message) });
  }
}

/** A Nest app on `adapter` with the real DpopModule.forRoot and the given controllers, on a free port. */
export async function start(
  adapter: AdapterName,
  options: DpopModuleOptions,
  globalGuard: boolean | Type = false,
  controllers: Type[] = [ApiController, OpenController],
  logger?: LoggerService,
  providers: Type[] = [],
): Promise<{ app: INestApplication; base: string; port: number }> {
  const guard = globalGuard === true ? DpopGuard : globalGuard || undefined;
  @Module({
    imports: [DpopModule.forRoot({ isGlobal: true, ...options })],
    controllers,
    providers: [...providers, ...(guard ? [{ provide: APP_GUARD, useClass: guard }] : [])],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: logger ?? ['error'],
    abortOnError: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}`, port };
}

/** The authorization server's key and JWK set server, the client's DPoP key, a jku server: shared by a spec file. */
export interface GuardFixture {
  asKey: CryptoKey;
  asJwk: JWK;
  jwks: TestServer;
  client: KeyPair;
  clientJwk: JWK;
  jkt: string;
  jkuServer: TestServer;
  tls: { key: string; cert: string };
  jkuHits: string[];
  /** A JWT access token from the AS with `claims`. */
  mint(claims: Record<string, unknown>, lifetime?: string): Promise<string>;
  /** Module options verifying the AS's JWTs through its JWK set, with a kid resolver and the jku server. */
  jwtOptions(extra?: DpopModuleOptions): DpopModuleOptions;
  /** Headers of a request with `token` and a fresh proof for `method` `base+path`. */
  dpopHeaders(
    base: string,
    method: string,
    path: string,
    token: string,
    nonce?: string,
  ): Promise<Record<string, string>>;
  /** Headers of a GET /api/me with a fresh key-bound token and its proof. */
  boundRequest(base: string): Promise<Record<string, string>>;
  /**
   * A proof signed with the client key whose payload is `claims` verbatim (e.g. a member written twice),
   * `{jti}`, `{htu}`, `{iat}` and `{ath}` replaced by a fresh jti, `htu`, now and the token's hash.
   */
  rawProof(htu: string, token: string, claims: string, jti?: string): Promise<string>;
}

/** Registers beforeAll/afterAll that set up (and tear down) a {@link GuardFixture}. */
export function useGuardFixture(): GuardFixture {
  const fixture = {} as GuardFixture;
  const jkuKeys: JWK[] = [];
  fixture.jkuHits = [];
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    fixture.asKey = pair.privateKey;
    fixture.asJwk = { ...(await exportJWK(pair.publicKey)), kid: 'as-1', alg: 'ES256', use: 'sig' };
    fixture.jwks = await httpServer((_req, _body, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [fixture.asJwk] }));
    });
    fixture.client = await clientKeyPair('ES256', { extractable: true });
    fixture.clientJwk = await exportJWK(fixture.client.publicKey);
    fixture.jkt = await calculateThumbprint(fixture.client.publicKey);
    fixture.tls = testCertificate();
    const decoy = await exportJWK((await generateKeyPair('ES256')).publicKey);
    jkuKeys.push({ ...fixture.clientJwk, kid: 'client-key' }, { ...decoy, kid: 'decoy' });
    fixture.jkuServer = await httpsServer(fixture.tls, (req, _body, res) => {
      fixture.jkuHits.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.url === '/slow') return; // never answers
      if (req.url?.startsWith('/one')) res.end(JSON.stringify({ keys: [jkuKeys[0]] }));
      else if (req.url === '/big') res.end(JSON.stringify({ keys: [jkuKeys[0]], pad: 'x'.repeat(100_000) }));
      else res.end(JSON.stringify({ keys: jkuKeys }));
    });
  });
  afterAll(async () => {
    await fixture.jwks?.close();
    await fixture.jkuServer?.close();
  });
  fixture.mint = (claims, lifetime = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(lifetime)
      .sign(fixture.asKey);
  fixture.jwtOptions = (extra = {}) => ({
    accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, jwksUri: `${fixture.jwks.url}/jwks` },
    resolveKid: (kid) => (kid === 'client-kid' ? fixture.clientJwk : undefined),
    jku: { allowedHosts: [new URL(fixture.jkuServer.url).host], ca: fixture.tls.cert, timeoutMs: 500 },
    ...extra,
  });
  fixture.dpopHeaders = async (base, method, path, token, nonce) => ({
    authorization: `DPoP ${token}`,
    dpop: await generateProof(fixture.client, `${base}${path}`, method, nonce, token),
  });
  fixture.rawProof = (htu, token, claims, jti = randomUUID()) =>
    new CompactSign(
      new TextEncoder().encode(
        claims
          .replaceAll('{jti}', jti)
          .replaceAll('{htu}', htu)
          .replaceAll('{iat}', String(Math.floor(Date.now() / 1000)))
          .replaceAll('{ath}', createHash('sha256').update(token).digest('base64url')),
      ),
    )
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: fixture.clientJwk })
      .sign(fixture.client.privateKey);
  fixture.boundRequest = async (base) =>
    fixture.dpopHeaders(base, 'GET', '/api/me', await fixture.mint({ cnf: { jkt: fixture.jkt } }));
  return fixture;
}
