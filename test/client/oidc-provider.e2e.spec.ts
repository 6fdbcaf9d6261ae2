import { Controller, Get, Module, type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { HttpModule, HttpService } from '@nestjs/axios';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type GenerateKeyPairResult } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dpop, DpopBound, DpopModule, type DpopContext } from '../../lib/index.js';
import { DpopAxiosInterceptor, type DpopClientModuleOptions } from '../../lib/client/index.js';
import { freePort } from '../helpers/sample-app.js';
import { clientModule, decodeJws, recordingFetch } from './client-helpers.js';

/**
 * panva's oidc-provider issues DPoP-bound JWT access tokens (client
 * credentials, nonces required) to a Nest API guarded by this library's
 * DpopModule (nonces required too, on another origin): both sides' nonce
 * retries, token caching, and an API that refuses a token.
 */
@Controller('api')
@DpopBound()
class ApiController {
  @Get('me')
  me(@Dpop() dpop: DpopContext) {
    return { sub: dpop.token.sub, client_id: dpop.token.client_id, aud: dpop.token.aud, jkt: dpop.jkt };
  }
}

interface Seen {
  dpop?: string;
  authorization?: string;
}

describe('DpopHttpClient: oidc-provider → Nest API guarded by DpopModule', () => {
  let provider: InstanceType<typeof Provider>;
  let asServer: Server;
  let api: INestApplication;
  let issuer: string;
  let apiBase: string;
  let clientKey: GenerateKeyPairResult;
  /** Tokens the API refuses (as if revoked). */
  const refused = new Set<string>();
  let refuseAll = false;
  /** Requests as the API received them. */
  const seen: Seen[] = [];
  const contexts: INestApplicationContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const apiPort = await freePort();
    apiBase = `http://127.0.0.1:${apiPort}`;
    const signing = await generateKeyPair('ES256', { extractable: true });
    clientKey = await generateKeyPair('ES256', { extractable: true });
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'svc-jwt',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [{ ...(await exportJWK(clientKey.publicKey)), alg: 'ES256', use: 'sig' }] },
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        },
        {
          client_id: 'svc-secret',
          client_secret: 'svc-secret-value',
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        },
      ],
      jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: 'ES256', use: 'sig', kid: 'as-es256' }] },
      enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      scopes: ['api'],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => apiBase,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'api',
            audience: apiBase,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
    });
    asServer = createServer(provider.callback());
    await new Promise<void>((resolve) => asServer.listen(port, '127.0.0.1', resolve));

    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    @Module({
      imports: [
        DpopModule.forRoot({
          nonce: { required: true },
          // No cache of verified tokens: the API re-checks each one, so the test can revoke a token it accepted.
          accessTokenCache: { maxEntries: 0 },
          accessToken: {
            type: 'custom',
            verify: async (token) => {
              if (refuseAll || refused.has(token)) return null;
              return (await jwtVerify(token, jwks, { issuer, audience: apiBase })).payload;
            },
          },
        }),
      ],
      controllers: [ApiController],
    })
    class ApiModule {}
    api = await NestFactory.create(ApiModule, new ExpressAdapter(), { logger: ['error'], abortOnError: false });
    api.use((req: { headers: Record<string, string | undefined> }, _res: unknown, next: () => void) => {
      seen.push({ dpop: req.headers.dpop, authorization: req.headers.authorization });
      next();
    });
    await api.listen(apiPort, '127.0.0.1');
    expect((api.getHttpServer().address() as AddressInfo).port).toBe(apiPort);
  });

  afterAll(async () => {
    await api?.close();
    await new Promise((resolve) => asServer?.close(resolve));
  });
  afterEach(async () => {
    refused.clear();
    refuseAll = false;
    seen.length = 0;
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  async function client(overrides: Partial<DpopClientModuleOptions> = {}) {
    const recorder = recordingFetch();
    const made = await clientModule(
      {
        issuer,
        clientId: 'svc-jwt',
        clientAuthentication: { method: 'private_key_jwt', privateKey: clientKey.privateKey },
        token: { scope: 'api' },
        allowInsecureRequests: true,
        fetch: recorder.fetch,
        ...overrides,
      },
      overrides.fetch === undefined ? {} : {},
    );
    contexts.push(made.context);
    const tokenCalls = () => recorder.calls.filter((call) => call.url === `${issuer}/token`);
    const apiCalls = () => recorder.calls.filter((call) => call.url.startsWith(apiBase));
    return { ...made, calls: recorder.calls, tokenCalls, apiCalls };
  }

  it('private_key_jwt, discovery (OIDC), nonce retries at the AS and at the API, each with a new proof', async () => {
    const { client: dpop, tokenCalls, apiCalls } = await client();
    const response = await dpop.fetch(`${apiBase}/api/me`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'svc-jwt', client_id: 'svc-jwt', aud: apiBase, jkt: dpop.jkt });

    expect(tokenCalls().map((call) => call.status)).toEqual([400, 200]); // use_dpop_nonce, then the retry
    expect(apiCalls().map((call) => call.status)).toEqual([401, 200]); // the API's own use_dpop_nonce, then the retry
    const [firstToken, secondToken] = tokenCalls().map((call) => decodeJws(call.dpop!).claims);
    const [firstApi, secondApi] = apiCalls().map((call) => decodeJws(call.dpop!).claims);
    expect(firstToken!.nonce).toBeUndefined();
    expect(typeof secondToken!.nonce).toBe('string');
    expect(firstApi!.nonce).toBeUndefined(); // another origin: the AS's nonce is not sent to the API
    expect(typeof secondApi!.nonce).toBe('string');
    expect(secondApi!.nonce).not.toBe(secondToken!.nonce);
    const jtis = [firstToken, secondToken, firstApi, secondApi].map((claims) => claims!.jti);
    expect(new Set(jtis).size).toBe(4);

    // The next call reuses token and API nonce: one request.
    const before = apiCalls().length;
    expect((await dpop.fetch(`${apiBase}/api/me`)).status).toBe(200);
    expect(apiCalls().length - before).toBe(1);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('N concurrent calls → one token request', async () => {
    const { client: dpop, tokenCalls } = await client();
    const responses = await Promise.all(Array.from({ length: 25 }, () => dpop.fetch(`${apiBase}/api/me`)));
    expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
    expect(tokenCalls().filter((call) => call.status === 200)).toHaveLength(1);
  });

  it('a token the API refuses → one new token and one retry', async () => {
    const { client: dpop, tokenCalls, apiCalls } = await client();
    expect((await dpop.fetch(`${apiBase}/api/me`)).status).toBe(200);
    const firstToken = apiCalls().at(-1)!.authorization;
    refused.add(firstToken!.slice('DPoP '.length));
    const callsBefore = apiCalls().length;
    const tokensBefore = tokenCalls().length;

    expect((await dpop.fetch(`${apiBase}/api/me`)).status).toBe(200);
    const retried = apiCalls().slice(callsBefore);
    expect(retried.map((call) => call.status)).toEqual([401, 200]);
    expect(retried[0]!.authorization).toBe(firstToken);
    expect(retried[1]!.authorization).not.toBe(firstToken);
    expect(decodeJws(retried[0]!.dpop!).claims.jti).not.toBe(decodeJws(retried[1]!.dpop!).claims.jti);
    expect(
      tokenCalls()
        .slice(tokensBefore)
        .filter((call) => call.status === 200),
    ).toHaveLength(1);
  });

  it('an API that refuses every token: one refresh, one retry, then its 401 (no storm)', async () => {
    const { client: dpop, tokenCalls, apiCalls } = await client();
    expect((await dpop.fetch(`${apiBase}/api/me`)).status).toBe(200);
    refuseAll = true;
    const callsBefore = apiCalls().length;
    const tokensBefore = tokenCalls().filter((call) => call.status === 200).length;
    const response = await dpop.fetch(`${apiBase}/api/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect(apiCalls().length - callsBefore).toBe(2);
    expect(tokenCalls().filter((call) => call.status === 200).length - tokensBefore).toBe(1);
  });

  it('client_secret_basic with an explicit resource indicator', async () => {
    const { client: dpop } = await client({
      clientId: 'svc-secret',
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'svc-secret-value' },
      token: { scope: 'api', resource: apiBase },
      discovery: 'oidc',
    });
    const response = await dpop.fetch(`${apiBase}/api/me`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client_id: 'svc-secret', aud: apiBase, jkt: dpop.jkt });
  });

  it('@nestjs/axios HttpService through DpopAxiosInterceptor: signed requests, nonce retry at the API', async () => {
    const { context, client: dpop } = await client();
    const moduleRef = await (
      await import('@nestjs/testing')
    ).Test.createTestingModule({
      imports: [HttpModule],
    }).compile();
    const http = moduleRef.get(HttpService);
    const detach = context.get(DpopAxiosInterceptor).attach(http);
    try {
      const response = await firstValueFrom(http.get(`${apiBase}/api/me`, { params: { q: 1 } }));
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ sub: 'svc-jwt', client_id: 'svc-jwt', aud: apiBase, jkt: dpop.jkt });
      // The API saw a request without its nonce (401), then the retry with it, each with its own proof.
      expect(seen).toHaveLength(2);
      const [first, second] = seen.map((request) => decodeJws(request.dpop!).claims);
      expect(first).toMatchObject({ htm: 'GET', htu: `${apiBase}/api/me` });
      expect(first!.nonce).toBeUndefined();
      expect(typeof second!.nonce).toBe('string');
      expect(first!.jti).not.toBe(second!.jti);
      expect(seen[0]!.authorization).toMatch(/^DPoP /);

      // A token the API refuses: one refresh and one retry through axios too.
      refused.add(seen[1]!.authorization!.slice('DPoP '.length));
      seen.length = 0;
      const again = await firstValueFrom(http.get(`${apiBase}/api/me`));
      expect(again.status).toBe(200);
      expect(seen).toHaveLength(2);
      expect(seen[0]!.authorization).not.toBe(seen[1]!.authorization);

      // An API that refuses everything: the 401 surfaces as axios's error after one retry.
      refuseAll = true;
      seen.length = 0;
      await expect(firstValueFrom(http.get(`${apiBase}/api/me`))).rejects.toMatchObject({ response: { status: 401 } });
      expect(seen).toHaveLength(2);
    } finally {
      detach();
      await moduleRef.close();
    }
    // Detached: axios sends no DPoP headers any more.
    seen.length = 0;
    refuseAll = false;
    await expect(firstValueFrom(http.get(`${apiBase}/api/me`))).rejects.toMatchObject({ response: { status: 401 } });
    expect(seen[0]!.dpop).toBeUndefined();
  });
});
