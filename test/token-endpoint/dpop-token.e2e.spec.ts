import { Body, Controller, HttpCode, HttpException, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertDpopJkt,
  Dpop,
  DpopModule,
  DpopTokenEndpoint,
  hashRefreshToken,
  MemoryDpopStore,
  parseDpopJkt,
  type DpopProofContext,
  type RefreshTokenBinding,
} from '../../lib/index.js';
import { send } from '../helpers/servers.js';

/** A memory store that can be switched off, to see the endpoint fail closed. */
class SwitchableStore extends MemoryDpopStore {
  down = false;
  override findRefreshTokenBinding(hash: string): Promise<RefreshTokenBinding | undefined> {
    return this.down ? Promise.reject(new Error('store down')) : super.findRefreshTokenBinding(hash);
  }
  override saveRefreshTokenBinding(binding: RefreshTokenBinding): Promise<void> {
    return this.down ? Promise.reject(new Error('store down')) : super.saveRefreshTokenBinding(binding);
  }
}

const codes = new Map<string, { dpopJkt?: string }>();
const refreshTokens = new Set<string>();

/** A toy token endpoint: unsigned JSON "tokens" keep the test about DPoP, not JWT minting. */
function issue(dpop: DpopProofContext | undefined) {
  const refresh = randomUUID();
  refreshTokens.add(refresh);
  const claims = { sub: 'alice', ...(dpop ? { cnf: { jkt: dpop.jkt } } : {}) };
  return {
    access_token: `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`,
    token_type: 'Bearer',
    expires_in: 300,
    refresh_token: refresh,
  };
}

function grant(body: Record<string, string>, dpop: DpopProofContext | undefined) {
  if (body.grant_type === 'authorization_code') {
    const code = codes.get(body.code ?? '');
    if (!code) throw new HttpException({ error: 'invalid_grant' }, 400);
    codes.delete(body.code!);
    assertDpopJkt(code.dpopJkt, dpop?.jkt);
  } else if (body.grant_type === 'refresh_token') {
    if (!refreshTokens.delete(body.refresh_token ?? '')) throw new HttpException({ error: 'invalid_grant' }, 400);
  } else {
    throw new HttpException({ error: 'unsupported_grant_type' }, 400);
  }
  return issue(dpop);
}

@Controller('oauth')
class TokenController {
  @Post('authorize')
  @HttpCode(200)
  authorize(@Body() body: Record<string, string>) {
    const code = randomUUID();
    codes.set(code, { dpopJkt: parseDpopJkt(body.dpop_jkt) });
    return { code };
  }

  @Post('token')
  @HttpCode(200)
  @DpopTokenEndpoint()
  token(@Body() body: Record<string, string>, @Dpop() dpop?: DpopProofContext) {
    return grant(body, dpop);
  }

  @Post('token-nonce')
  @HttpCode(200)
  @DpopTokenEndpoint({ requireNonce: true, requireProof: true })
  tokenNonce(@Body() body: Record<string, string>, @Dpop() dpop?: DpopProofContext) {
    return grant(body, dpop);
  }

  /** A route a router also reaches as /oauth/t/../token (segments t, .., token). */
  @Post('t/:a/:b')
  @HttpCode(200)
  @DpopTokenEndpoint()
  tokenByPath(@Body() body: Record<string, string>, @Dpop() dpop?: DpopProofContext) {
    return grant(body, dpop);
  }

  @Post('token-all')
  @HttpCode(200)
  @DpopTokenEndpoint({ bindRefreshTokens: 'all' })
  tokenAll(@Body() body: Record<string, string>, @Dpop() dpop?: DpopProofContext) {
    return grant(body, dpop);
  }
}

describe.each(['express', 'fastify'] as const)('DpopTokenInterceptor on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  let client: KeyPair;
  let jkt: string;
  const store = new SwitchableStore();

  beforeAll(async () => {
    @Module({ imports: [DpopModule.forRoot({ store })], controllers: [TokenController] })
    class AppModule {}
    app = await NestFactory.create(AppModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
      logger: ['error'],
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    client = await generateKeyPair('ES256');
    jkt = await calculateThumbprint(client.publicKey);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    store.down = false;
  });

  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
  async function tokenRequest(
    params: Record<string, string>,
    {
      key = client,
      path = '/oauth/token',
      nonce,
      headers = {},
    }: { key?: KeyPair | null; path?: string; nonce?: string; headers?: Record<string, string> } = {},
  ) {
    const dpop: Record<string, string> = key ? { dpop: await generateProof(key, `${base}${path}`, 'POST', nonce) } : {};
    return send(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...dpop, ...headers },
      body: form(params),
    });
  }
  async function code(dpopJkt?: string) {
    const res = await send(`${base}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dpopJkt ? { dpop_jkt: dpopJkt } : {}),
    });
    return res.json().code as string;
  }

  it('binds issued tokens: token_type DPoP, cnf.jkt in the access token, refresh token bound (public client)', async () => {
    const res = await tokenRequest({ grant_type: 'authorization_code', code: await code(), client_id: 'spa' });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token as string).cnf).toEqual({ jkt });
    expect(await store.findRefreshTokenBinding(hashRefreshToken(body.refresh_token as string))).toMatchObject({
      jkt,
      clientId: 'spa',
    });
  });

  it('without a proof the tokens stay Bearer and nothing is bound', async () => {
    const res = await tokenRequest({ grant_type: 'authorization_code', code: await code() }, { key: null });
    expect(res.json().token_type).toBe('Bearer');
    expect(await store.findRefreshTokenBinding(hashRefreshToken(res.json().refresh_token as string))).toBeUndefined();
  });

  it('refresh: the same key rotates the binding; another key or no proof gives invalid_grant', async () => {
    const first = (
      await tokenRequest({ grant_type: 'authorization_code', code: await code(), client_id: 'spa' })
    ).json();
    const attacker = await generateKeyPair('ES256');
    for (const key of [attacker, null]) {
      const res = await tokenRequest(
        { grant_type: 'refresh_token', refresh_token: first.refresh_token as string },
        { key },
      );
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({
        error: 'invalid_grant',
        error_description: key
          ? 'The refresh token is bound to another DPoP key'
          : 'A DPoP proof is required for this refresh token',
      });
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(refreshed.status).toBe(200);
    const second = refreshed.json();
    expect(second.token_type).toBe('DPoP');
    // the rotated token keeps its binding until it expires: were it honoured again, it would still need the key
    expect(await store.findRefreshTokenBinding(hashRefreshToken(first.refresh_token as string))).toMatchObject({ jkt });
    expect(await store.findRefreshTokenBinding(hashRefreshToken(second.refresh_token as string))).toMatchObject({
      jkt,
      clientId: 'spa',
    });
  });

  it('a refresh_token that is not a single string → 400 invalid_request (it cannot slip past the binding check)', async () => {
    const res = await send(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await generateProof(client, `${base}/oauth/token`, 'POST'),
      },
      body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b',
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('confidential clients: refresh tokens unbound by default, bound with bindRefreshTokens: "all"', async () => {
    const basic = { authorization: `Basic ${Buffer.from('web:secret').toString('base64')}` };
    const plain = (
      await tokenRequest({ grant_type: 'authorization_code', code: await code() }, { headers: basic })
    ).json();
    expect(plain.token_type).toBe('DPoP');
    expect(await store.findRefreshTokenBinding(hashRefreshToken(plain.refresh_token as string))).toBeUndefined();
    const all = (
      await tokenRequest(
        { grant_type: 'authorization_code', code: await code() },
        { headers: basic, path: '/oauth/token-all' },
      )
    ).json();
    expect(await store.findRefreshTokenBinding(hashRefreshToken(all.refresh_token as string))).toMatchObject({ jkt });
  });

  it('a bad proof → 400 invalid_dpop_proof as RFC 6749 §5.2 JSON, no challenge header', async () => {
    const wrongUrl = await generateProof(client, `${base}/oauth/other`, 'POST');
    const cases = [wrongUrl, 'not-a-proof'];
    for (const dpop of cases) {
      const res = await send(`${base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
        body: form({ grant_type: 'authorization_code', code: await code() }),
      });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof is not valid' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    const two = await send(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: [wrongUrl, wrongUrl] },
      body: form({ grant_type: 'authorization_code', code: await code() }),
    });
    expect(two.json().error).toBe('invalid_dpop_proof');
  });

  it('the nonce policy the AS way: 400 use_dpop_nonce with DPoP-Nonce, then the retry succeeds', async () => {
    const first = await tokenRequest(
      { grant_type: 'authorization_code', code: await code() },
      { path: '/oauth/token-nonce' },
    );
    expect(first.status).toBe(400);
    expect(first.json()).toEqual({
      error: 'use_dpop_nonce',
      error_description: 'Authorization server requires nonce in DPoP proof',
    });
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();
    const retry = await tokenRequest(
      { grant_type: 'authorization_code', code: await code() },
      { path: '/oauth/token-nonce', nonce },
    );
    expect(retry.status).toBe(200);
    expect(retry.json().token_type).toBe('DPoP');
    const noProof = await tokenRequest(
      { grant_type: 'authorization_code', code: await code() },
      { path: '/oauth/token-nonce', key: null },
    );
    expect(noProof.json().error).toBe('invalid_dpop_proof');
  });

  it('dpop_jkt (RFC 9449 §10): the code is redeemed only with a proof by that key', async () => {
    const other = await generateKeyPair('ES256');
    const mismatch = await tokenRequest({ grant_type: 'authorization_code', code: await code(jkt) }, { key: other });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json().error).toBe('invalid_grant');
    const missing = await tokenRequest({ grant_type: 'authorization_code', code: await code(jkt) }, { key: null });
    expect(missing.json().error).toBe('invalid_grant');
    const match = await tokenRequest({ grant_type: 'authorization_code', code: await code(jkt) });
    expect(match.status).toBe(200);
    const malformed = await send(`${base}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dpop_jkt: 'not-a-thumbprint' }),
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json().error).toBe('invalid_request');
  });

  it('a Host that moves the URL (path, query, fragment, userinfo) → 400 invalid_request JSON, the proof not consumed', async () => {
    const port = new URL(base).port;
    // A proof made for another POST route must not get tokens here.
    for (const host of [
      `127.0.0.1:${port}/oauth/token-all?`,
      `127.0.0.1:${port}/oauth/token-all#`,
      `x@127.0.0.1:${port}`,
    ]) {
      const proof = await generateProof(client, `${base}/oauth/token-all`, 'POST');
      const res = await send(`${base}/oauth/token`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
        body: form({ grant_type: 'authorization_code', code: await code() }),
      });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'The request is malformed' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      const own = await send(`${base}/oauth/token-all`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
        body: form({ grant_type: 'authorization_code', code: await code() }),
      });
      expect(own.status).toBe(200); // refused above, so not recorded: still good at its own URL
    }
  });

  it('a path with a dot segment → 400 invalid_request, though it normalises to the proof’s htu', async () => {
    for (const rawPath of ['/oauth/t/../token', '/oauth/t/%2e%2e/token', '/oauth/t/%2E./token']) {
      const res = await send(`${base}/oauth/token`, {
        method: 'POST',
        rawPath,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await generateProof(client, `${base}/oauth/token`, 'POST'),
        },
        body: form({ grant_type: 'authorization_code', code: await code() }),
      });
      expect(res.status, rawPath).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    }
  });

  it('token parameters must be single strings; the refresh-token binding is checked whatever grant_type says', async () => {
    const first = (
      await tokenRequest({ grant_type: 'authorization_code', code: await code(), client_id: 'spa' })
    ).json();
    const bound = first.refresh_token as string;
    const attacker = await generateKeyPair('ES256');
    const raw = async (body: string, key: KeyPair = attacker) =>
      send(`${base}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await generateProof(key, `${base}/oauth/token`, 'POST'),
        },
        body,
      });
    const r = encodeURIComponent(bound);
    for (const body of [
      `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${r}`,
      `grant_type=refresh_token&refresh_token=${r}&refresh_token=${r}`,
      `grant_type=authorization_code&code=a&code=b`,
      `grant_type=authorization_code&client_id=a&client_id=b`,
      `grant_type=authorization_code&dpop_jkt=a&dpop_jkt=b`,
    ]) {
      const res = await raw(body);
      expect(res.status, body).toBe(400);
      expect(res.json(), body).toEqual({ error: 'invalid_request', error_description: 'The request is malformed' });
    }
    // The binding check does not depend on grant_type naming the refresh grant.
    const other = await raw(`grant_type=authorization_code&code=${await code()}&refresh_token=${r}`);
    expect(other.status).toBe(400);
    expect(other.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'The refresh token is bound to another DPoP key',
    });
    // The rightful key still works afterwards: nothing above consumed the refresh token.
    expect((await raw(`grant_type=refresh_token&refresh_token=${r}`, client)).status).toBe(200);
  });

  it('store down → 503 JSON, never a token with an unstored binding', async () => {
    const first = (
      await tokenRequest({ grant_type: 'authorization_code', code: await code(), client_id: 'spa' })
    ).json();
    store.down = true;
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(refresh.status).toBe(503);
    expect(refresh.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'Please retry later' });
    const issue = await tokenRequest({ grant_type: 'authorization_code', code: await code(), client_id: 'spa' });
    expect(issue.status).toBe(503);
    expect(issue.body).not.toContain('refresh_token');
  });
});
