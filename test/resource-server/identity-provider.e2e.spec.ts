import { Controller, Get, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider, { errors } from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopClientModule, DpopHttpClient } from '../../lib/client/index.js';
import { Dpop, DpopBound, DpopContext, type DpopModuleOptions } from '../../lib/index.js';
import { Test } from '@nestjs/testing';
import { ADAPTERS, start } from '../helpers/guard-app.js';
import { freePort } from '../helpers/sample-app.js';

// The recipe of docs/identity-providers.md for panva's oidc-provider, run: DPoP-bound access tokens for a
// resource indicator (RFC 8707), as JWTs (RFC 9068) or opaque (RFC 7662 introspection), nonces required at the
// authorization server and at the API, obtained and used with openid-client v6 and with nestjs-dpop/client.
// Keep the provider configuration in step with the docs page.
const JWT_RESOURCE = 'https://orders.example.com';
const OPAQUE_RESOURCE = 'https://orders-opaque.example.com';
/** Another API at the same provider: its opaque tokens must not open the orders API. */
const BILLING_RESOURCE = 'https://billing.example.com';
const ORDER_SCOPES = 'orders:read orders:write';

@Controller('orders')
class OrdersController {
  @Get()
  @DpopBound({ scopes: ['orders:read'] })
  list(@Dpop() dpop: DpopContext) {
    const { aud, scope, client_id, cnf } = dpop.token;
    return { aud, scope, client_id, cnf, jkt: dpop.jkt };
  }

  @Post('refund')
  @HttpCode(200)
  @DpopBound({ scopes: ['orders:write'] })
  refund() {
    return { refunded: true };
  }
}

let provider: InstanceType<typeof Provider>;
let asServer: Server;
let issuer: string;

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const signing = await generateKeyPair('ES256', { extractable: true });
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'orders-cli',
        client_secret: 'orders-cli-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        // The API itself, for introspection only.
        client_id: 'orders-api',
        client_secret: 'orders-api-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: 'ES256', use: 'sig', kid: 'as-es256' }] },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource === JWT_RESOURCE) {
            return {
              scope: ORDER_SCOPES,
              audience: JWT_RESOURCE,
              accessTokenFormat: 'jwt',
              accessTokenTTL: 600,
              jwt: { sign: { alg: 'ES256' } },
            };
          }
          if (resource === OPAQUE_RESOURCE || resource === BILLING_RESOURCE) {
            return { scope: ORDER_SCOPES, audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: 600 };
          }
          throw new errors.InvalidTarget();
        },
      },
    },
  });
  asServer = createServer(provider.callback());
  await new Promise<void>((resolve) => asServer.listen(port, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => asServer?.close(resolve));
});

/** The API's options for JWT access tokens from the provider (its JWK set, `aud` the resource indicator). */
const jwtApi = (): DpopModuleOptions => ({
  accessToken: { type: 'jwt', issuer, audience: JWT_RESOURCE, jwksUri: `${issuer}/jwks`, typ: 'at+jwt' },
  nonce: { required: true },
  allowedHosts: ['127.0.0.1'],
});

/** The API's options for opaque access tokens, checked at the provider's introspection endpoint. */
const opaqueApi = (): DpopModuleOptions => ({
  accessToken: {
    type: 'introspection',
    endpoint: `${issuer}/token/introspection`,
    clientId: 'orders-api',
    clientSecret: 'orders-api-secret',
    audience: OPAQUE_RESOURCE, // the introspection response's aud: a token for another API is refused
  },
  nonce: { required: true },
  allowedHosts: ['127.0.0.1'],
});

/** openid-client v6 with a DPoP key: discovery, client credentials for `resource` and `scope`. */
async function openidClient(resource: string, scope: string) {
  const config = await oidc.discovery(
    new URL(issuer),
    'orders-cli',
    undefined,
    oidc.ClientSecretBasic('orders-cli-secret'),
    { execute: [oidc.allowInsecureRequests] },
  );
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const tokens = await oidc.clientCredentialsGrant(config, { resource, scope }, { DPoP: dpop });
  const call = (url: string, method = 'GET') =>
    oidc.fetchProtectedResource(config, tokens.access_token, new URL(url), method, undefined, undefined, {
      DPoP: dpop,
    });
  const revoke = () => oidc.tokenRevocation(config, tokens.access_token);
  return { tokens, call, revoke };
}

/** The challenge openid-client refused a response with (it throws on a WWW-Authenticate challenge). */
async function challenge(response: Promise<Response>) {
  const error = await response.then(
    () => undefined,
    (caught: unknown) => caught as { response?: Response; cause?: unknown },
  );
  expect(error, 'a challenge').toBeDefined();
  expect(error!.response?.status).toBe(403);
  return error!.cause as { scheme: string; parameters: Record<string, string> }[];
}

describe.each(ADAPTERS)('oidc-provider → openid-client → a Nest API on %s', (adapter) => {
  let jwtApp: INestApplication;
  let jwtBase: string;
  let opaqueApp: INestApplication;
  let opaqueBase: string;
  beforeAll(async () => {
    ({ app: jwtApp, base: jwtBase } = await start(adapter, jwtApi(), false, [OrdersController]));
    ({ app: opaqueApp, base: opaqueBase } = await start(adapter, opaqueApi(), false, [OrdersController]));
  });
  afterAll(async () => {
    await jwtApp?.close();
    await opaqueApp?.close();
  });

  it('a JWT access token for the resource, with the scope: 200, aud the resource, cnf.jkt the client key', async () => {
    const { tokens, call } = await openidClient(JWT_RESOURCE, 'orders:read');
    expect(tokens.token_type).toMatch(/^dpop$/i);
    expect(tokens.access_token.split('.')).toHaveLength(3); // a JWT
    const response = await call(`${jwtBase}/orders`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { jkt: string; cnf: { jkt: string } };
    expect(body).toMatchObject({ aud: JWT_RESOURCE, scope: 'orders:read', client_id: 'orders-cli' });
    expect(body.cnf.jkt).toBe(body.jkt);
  });

  it('a JWT access token without the scope: 403 insufficient_scope, scope="orders:write"', async () => {
    const { call } = await openidClient(JWT_RESOURCE, 'orders:read');
    expect((await call(`${jwtBase}/orders`)).status).toBe(200);
    const challenges = await challenge(call(`${jwtBase}/orders/refund`, 'POST'));
    expect(challenges).toContainEqual(
      expect.objectContaining({
        scheme: 'dpop',
        parameters: expect.objectContaining({ error: 'insufficient_scope', scope: 'orders:write' }),
      }),
    );
    const both = await openidClient(JWT_RESOURCE, ORDER_SCOPES);
    expect((await both.call(`${jwtBase}/orders/refund`, 'POST')).status).toBe(200);
  });

  it('an opaque access token, introspected: 200 with the scope, 403 without', async () => {
    const { tokens, call } = await openidClient(OPAQUE_RESOURCE, 'orders:read');
    expect(tokens.access_token.split('.')).toHaveLength(1); // opaque
    const response = await call(`${opaqueBase}/orders`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { jkt: string; cnf: { jkt: string } };
    expect(body).toMatchObject({ aud: OPAQUE_RESOURCE, scope: 'orders:read', client_id: 'orders-cli' });
    expect(body.cnf.jkt).toBe(body.jkt);
    const challenges = await challenge(call(`${opaqueBase}/orders/refund`, 'POST'));
    expect(challenges).toContainEqual(
      expect.objectContaining({ parameters: expect.objectContaining({ error: 'insufficient_scope' }) }),
    );
  });

  it("an opaque token for another API at the provider (the introspection response's aud): 401 invalid_token", async () => {
    const { call } = await openidClient(BILLING_RESOURCE, 'orders:read');
    const error = await call(`${opaqueBase}/orders`).then(
      () => undefined,
      (caught: unknown) => caught as { response?: Response },
    );
    expect(error?.response?.status).toBe(401);
    expect(error?.response?.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('an opaque token revoked at the provider is refused on the next request (introspection not cached)', async () => {
    const { call, revoke } = await openidClient(OPAQUE_RESOURCE, 'orders:read');
    expect((await call(`${opaqueBase}/orders`)).status).toBe(200);
    await revoke();
    const error = await call(`${opaqueBase}/orders`).then(
      () => undefined,
      (caught: unknown) => caught as { response?: Response },
    );
    expect(error?.response?.status).toBe(401);
    expect(error?.response?.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('a token for the other resource (opaque) at the JWT API: 401 invalid_token', async () => {
    const { call } = await openidClient(OPAQUE_RESOURCE, 'orders:read');
    const error = await call(`${jwtBase}/orders`).then(
      () => undefined,
      (caught: unknown) => caught as { response?: Response },
    );
    expect(error?.response?.status).toBe(401);
    expect(error?.response?.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('nestjs-dpop/client (DpopClientModule, token: { resource, scope }) obtains a token and calls the API', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DpopClientModule.forRoot({
          issuer,
          clientId: 'orders-cli',
          clientAuthentication: { method: 'client_secret_basic', clientSecret: 'orders-cli-secret' },
          token: { resource: JWT_RESOURCE, scope: 'orders:read' },
          allowInsecureRequests: true,
        }),
      ],
    }).compile();
    const context = await moduleRef.init();
    try {
      const client = context.get(DpopHttpClient);
      const response = await client.fetch(`${jwtBase}/orders`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ aud: JWT_RESOURCE, scope: 'orders:read', jkt: client.jkt });
      const refund = await client.fetch(`${jwtBase}/orders/refund`, { method: 'POST' });
      expect(refund.status).toBe(403);
      expect(refund.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="orders:write"/);
    } finally {
      await context.close();
    }
  });
});
