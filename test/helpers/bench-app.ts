import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHash, randomUUID, sign, type KeyObject, generateKeyPairSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dpop, DpopBound, DpopModule, jwkThumbprint, type DpopModuleOptions } from '../../lib/index.js';

const ISSUER = 'https://as.load.local';

@Controller('api')
@DpopBound()
class LoadController {
  @Get('me')
  me(@Dpop('jkt') jkt: string) {
    return { jkt };
  }
}

/** An authorization server key, a client key and a bound token, for load and fault tests. */
export async function loadClient() {
  const as = await generateKeyPair('ES256', { extractable: true });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const token = await new SignJWT({ sub: 'load', cnf: { jkt: await jwkThumbprint(jwk) } })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(ISSUER)
    .setAudience('api')
    .setExpirationTime('1h')
    .sign(as.privateKey as CryptoKey);
  return { asJwk: await exportJWK(as.publicKey), privateKey, jwk, token };
}

/** A fresh proof for GET http://load.local/api/me with `ath`. */
export function loadProof(client: { privateKey: KeyObject; jwk: JWK; token: string }): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: client.jwk })}.${b64({
    jti: randomUUID(),
    htm: 'GET',
    htu: 'http://load.local/api/me',
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(client.token).digest('base64url'),
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: client.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** A Nest app with one @DpopBound() route and the given DpopModule options. */
export async function loadApp(
  asJwk: JWK,
  options: DpopModuleOptions,
): Promise<{ app: INestApplication; port: number }> {
  @Module({
    imports: [
      DpopModule.forRoot({
        publicUrl: 'http://load.local',
        accessToken: { type: 'jwt', issuer: ISSUER, audience: 'api', keys: [asJwk] },
        ...options,
      }),
    ],
    controllers: [LoadController],
  })
  class LoadModule {}
  const app = await NestFactory.create(LoadModule, { logger: ['error'], abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** GET /api/me with the given headers; resolves with the status. */
export function hit(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/me', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
