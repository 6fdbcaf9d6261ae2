import { Controller, Get, HttpCode, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { DpopClientModule, DpopHttpClient } from '../../lib/client/index.js';
import { Dpop, DpopBound, DpopModule, DpopTokenEndpoint } from '../../lib/index.js';
import { ADAPTERS, useGuardFixture, type AdapterName } from '../helpers/guard-app.js';
import { Test } from '@nestjs/testing';

// RFC 9449 §8, §9: a proof whose nonce is not accepted (stale, unknown, made with another secret) is answered
// use_dpop_nonce with a fresh DPoP-Nonce, on every route and at the token endpoint, so a client that kept an old
// nonce recovers on its next try. The README's controller: POST demands a nonce, GET does not; default settings
// otherwise (nonce.required false, a random nonce secret per process).
const fixture = useGuardFixture();
/** How far the server's clock is ahead of the clients' (the module option `now`). */
let offsetMs = 0;

@Controller('api/orders')
@DpopBound()
class OrdersController {
  @Get()
  list(@Dpop('jkt') jkt: string) {
    return { orders: [], jkt };
  }

  @Post()
  @DpopBound({ requireNonce: true })
  create(@Dpop('jkt') jkt: string) {
    return { created: true, jkt };
  }
}

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  @DpopTokenEndpoint()
  async token(@Dpop('jkt') jkt: string) {
    return { access_token: await fixture.mint({ cnf: { jkt } }, '1h'), token_type: 'DPoP', expires_in: 3600 };
  }
}

async function start(adapter: AdapterName, port = 0): Promise<{ app: INestApplication; base: string }> {
  @Module({
    imports: [
      DpopModule.forRoot({
        ...fixture.jwtOptions(),
        // the clients' proofs carry their own clock: let them be as old as the server's clock is ahead
        maxProofAge: 600,
        now: () => Date.now() + offsetMs,
      }),
    ],
    controllers: [OrdersController, TokenController],
  })
  class NonceAppModule {}
  const app = await NestFactory.create(
    NonceAppModule,
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    {
      logger: ['error'],
    },
  );
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${address.port}` };
}

/** Our client, with the app's token endpoint; every request it sends is recorded. */
async function ourClient(base: string) {
  const sent: { method: string; url: string; status: number }[] = [];
  const moduleRef = await Test.createTestingModule({
    imports: [
      DpopClientModule.forRoot({
        tokenEndpoint: `${base}/token`,
        clientId: 'orders-app',
        clientAuthentication: { method: 'client_secret_post', clientSecret: 'not-checked-here' },
        allowInsecureRequests: true,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const request = new Request(input, init);
          sent.push({ method: request.method, url: request.url, status: response.status });
          return response;
        },
      }),
    ],
  }).compile();
  const context = await moduleRef.init();
  return { client: context.get(DpopHttpClient), sent, close: () => context.close() };
}

/** openid-client with a DPoP handle (it keeps DPoP-Nonce per origin and retries once on use_dpop_nonce). */
async function openidClient(base: string) {
  const config = new oidc.Configuration(
    { issuer: base, token_endpoint: `${base}/token` },
    'orders-app',
    { client_secret: 'not-checked-here' },
    oidc.ClientSecretPost('not-checked-here'),
  );
  oidc.allowInsecureRequests(config);
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const { access_token: token } = await oidc.clientCredentialsGrant(config, {}, { DPoP: dpop });
  const call = async (method: string, path: string) => {
    try {
      return (
        await oidc.fetchProtectedResource(config, token, new URL(`${base}${path}`), method, null, undefined, {
          DPoP: dpop,
        })
      ).status;
    } catch (error) {
      return `threw ${(error as { code?: string }).code ?? String(error)}`;
    }
  };
  return { call };
}

describe.each(ADAPTERS)('a nonce never leads to a dead end on %s', (adapter) => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    offsetMs = 0;
    for (const app of apps) await app.close();
  });

  it('a stale nonce on a route that does not demand one: use_dpop_nonce with a fresh nonce, and the proof is not spent', async () => {
    offsetMs = 0;
    const { app, base } = await start(adapter);
    apps.push(app);
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } }, '1h');
    const first = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: await fixture.dpopHeaders(base, 'POST', '/api/orders', token),
    });
    expect(first.status).toBe(401);
    const nonce = first.headers.get('dpop-nonce')!;
    expect(nonce).toBeTruthy();
    const withNonce = await fixture.dpopHeaders(base, 'GET', '/api/orders', token, nonce);
    expect((await fetch(`${base}/api/orders`, { headers: withNonce })).status).toBe(200);

    offsetMs = 200_000; // more than nonce.stepSeconds × nonce.acceptedSteps (180 s): the nonce is stale
    const stale = await fixture.dpopHeaders(base, 'GET', '/api/orders', token, nonce);
    const refused = await fetch(`${base}/api/orders`, { headers: stale });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
    const fresh = refused.headers.get('dpop-nonce');
    expect(fresh).toMatch(/^[0-9a-z]+\.[\w-]+$/);
    expect(fresh).not.toBe(nonce);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    // the same proof was not consumed: it is refused for its nonce, not as a replay
    const again = await fetch(`${base}/api/orders`, { headers: stale });
    expect(again.headers.get('www-authenticate')).toMatch(/use_dpop_nonce/);
    const retried = await fixture.dpopHeaders(base, 'GET', '/api/orders', token, fresh!);
    expect((await fetch(`${base}/api/orders`, { headers: retried })).status).toBe(200);
    await app.close();
    apps.pop();
  });

  it('our client and openid-client recover from a stale nonce, on GET, POST and at the token endpoint', async () => {
    offsetMs = 0;
    const { app, base } = await start(adapter);
    apps.push(app);
    const ours = await ourClient(base);
    const theirs = await openidClient(base);
    try {
      // POST demands a nonce: both learn one (one use_dpop_nonce, then 201)
      expect((await ours.client.fetch(`${base}/api/orders`, { method: 'POST' })).status).toBe(201);
      expect(await theirs.call('POST', '/api/orders')).toBe(201);
      // both now send that nonce on GET too
      expect((await ours.client.fetch(`${base}/api/orders`)).status).toBe(200);
      expect(await theirs.call('GET', '/api/orders')).toBe(200);

      offsetMs = 200_000;
      ours.sent.length = 0;
      expect((await ours.client.fetch(`${base}/api/orders`)).status).toBe(200);
      expect(ours.sent.map((s) => s.status)).toEqual([401, 200]); // one use_dpop_nonce, then the retry
      expect(await theirs.call('GET', '/api/orders')).toBe(200);
      expect((await ours.client.fetch(`${base}/api/orders`, { method: 'POST' })).status).toBe(201);
      expect(await theirs.call('POST', '/api/orders')).toBe(201);

      // the token endpoint (nonces not required there): a stale nonce is answered use_dpop_nonce, and our
      // client's token request recovers with the fresh one
      offsetMs = 400_000;
      ours.sent.length = 0;
      ours.client.invalidateAccessToken(await ours.client.getAccessToken());
      expect((await ours.client.fetch(`${base}/api/orders`)).status).toBe(200);
      const token = ours.sent.filter((s) => s.url.endsWith('/token')).map((s) => s.status);
      expect(token).toEqual([400, 200]);
    } finally {
      await ours.close();
      await app.close();
      apps.pop();
    }
  });

  it('after a restart (a new random nonce secret) both clients recover on the next request', async () => {
    offsetMs = 0;
    const first = await start(adapter);
    const ours = await ourClient(first.base);
    const theirs = await openidClient(first.base);
    const port = Number(new URL(first.base).port);
    try {
      expect((await ours.client.fetch(`${first.base}/api/orders`, { method: 'POST' })).status).toBe(201);
      expect(await theirs.call('POST', '/api/orders')).toBe(201);
      await first.app.close();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the clients' pooled connections see the close
      const second = await start(adapter, port); // same origin, another process's secret
      apps.push(second.app);
      ours.sent.length = 0;
      expect((await ours.client.fetch(`${second.base}/api/orders`)).status).toBe(200);
      expect(ours.sent.map((s) => s.status)).toEqual([401, 200]);
      expect(await theirs.call('GET', '/api/orders')).toBe(200);
      expect((await ours.client.fetch(`${second.base}/api/orders`, { method: 'POST' })).status).toBe(201);
      expect(await theirs.call('POST', '/api/orders')).toBe(201);
    } finally {
      await ours.close();
    }
  });
});
