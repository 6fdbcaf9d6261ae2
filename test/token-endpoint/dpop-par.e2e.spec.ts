import { Body, Controller, HttpCode, Module, Post, Req, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertDpopJkt,
  Dpop,
  DpopModule,
  DpopNonceService,
  DpopParEndpoint,
  DpopParJkt,
  DpopTokenEndpoint,
  parJkt,
  type DpopProofContext,
} from '../../lib/index.js';
import { send } from '../helpers/servers.js';

/** A toy AS: PAR stores the thumbprint with the request_uri, the token request checks it with assertDpopJkt. */
const pushed = new Map<string, string | undefined>();

@Controller('as')
class ParController {
  @Post('par')
  @HttpCode(201)
  @DpopParEndpoint()
  par(@Body() body: Record<string, string>, @DpopParJkt() jkt: string | undefined, @Dpop() dpop?: DpopProofContext) {
    const requestUri = `urn:ietf:params:oauth:request_uri:${randomUUID()}`;
    pushed.set(requestUri, jkt);
    return { request_uri: requestUri, expires_in: 60, proof_jkt: dpop?.jkt ?? null, state: body.state };
  }

  @Post('par-strict')
  @HttpCode(201)
  @DpopParEndpoint({ requireProof: true, requireNonce: true })
  strict(@Req() request: object) {
    return { jkt: parJkt(request) };
  }

  /** Not decorated: parJkt must refuse rather than answer "not bound". */
  @Post('plain')
  @HttpCode(200)
  plain(@Req() request: object) {
    return { jkt: parJkt(request) };
  }

  @Post('token')
  @HttpCode(200)
  @DpopTokenEndpoint()
  token(@Body() body: Record<string, string>, @Dpop() dpop?: DpopProofContext) {
    // the toy code is the request_uri itself
    assertDpopJkt(pushed.get(body.code ?? ''), dpop?.jkt);
    return { access_token: 'at', token_type: 'Bearer' };
  }
}

describe.each(['express', 'fastify'] as const)('@DpopParEndpoint() on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  let client: KeyPair;
  let other: KeyPair;
  let jkt: string;
  let nonce: string;

  beforeAll(async () => {
    @Module({ imports: [DpopModule.forRoot({ nonce: { secret: 'x'.repeat(32) } })], controllers: [ParController] })
    class AppModule {}
    app = await NestFactory.create(AppModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
      logger: ['error'],
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    client = await generateKeyPair('ES256');
    other = await generateKeyPair('ES256');
    jkt = await calculateThumbprint(client.publicKey);
    nonce = app.get(DpopNonceService).issue();
  });
  afterAll(() => app.close());

  async function post(
    path: string,
    params: Record<string, string> | string,
    {
      key = client,
      htu = `${base}${path}`,
      proofNonce,
    }: { key?: KeyPair | null; htu?: string; proofNonce?: string } = {},
  ) {
    const dpop: Record<string, string> = key ? { dpop: await generateProof(key, htu, 'POST', proofNonce) } : {};
    return send(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...dpop },
      body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
    });
  }
  const token = (code: string, key: KeyPair | null) =>
    post('/as/token', { grant_type: 'authorization_code', code }, { key });

  it('a proof binds the request to its key: the same key redeems, another key or none gets invalid_grant', async () => {
    const res = await post('/as/par', { state: 's1', client_id: 'c' });
    expect(res.status).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ proof_jkt: jkt, state: 's1' });
    const code = body.request_uri as string;
    for (const key of [other, null]) {
      const refused = await token(code, key);
      expect(refused.status).toBe(400);
      expect(refused.json().error).toBe('invalid_grant');
    }
    expect((await token(code, client)).status).toBe(200);
  });

  it('dpop_jkt without a proof binds to dpop_jkt; with a matching proof it is accepted', async () => {
    const byParam = (await post('/as/par', { dpop_jkt: jkt }, { key: null })).json();
    expect(byParam.proof_jkt).toBeNull();
    expect((await token(byParam.request_uri as string, other)).json().error).toBe('invalid_grant');
    expect((await token(byParam.request_uri as string, client)).status).toBe(200);
    const both = await post('/as/par', { dpop_jkt: jkt });
    expect(both.status).toBe(201);
  });

  it('dpop_jkt and a proof that disagree → 400 invalid_dpop_proof (RFC 9449 §10.1), JSON, no challenge', async () => {
    const res = await post('/as/par', { dpop_jkt: await calculateThumbprint(other.publicKey) });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'dpop_jkt does not match the key of the DPoP proof',
    });
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('without proof or dpop_jkt nothing is bound (parJkt undefined)', async () => {
    const body = (await post('/as/par', {}, { key: null })).json();
    expect(pushed.get(body.request_uri as string)).toBeUndefined();
    expect((await token(body.request_uri as string, null)).status).toBe(200);
  });

  it('a bad proof, a proof for another URL, a replayed proof → 400 invalid_dpop_proof', async () => {
    const wrongUrl = await post('/as/par', {}, { htu: `${base}/as/token` });
    expect(wrongUrl.json().error).toBe('invalid_dpop_proof');
    const proof = await generateProof(client, `${base}/as/par`, 'POST');
    const headers = { 'content-type': 'application/x-www-form-urlencoded', dpop: proof };
    expect((await send(`${base}/as/par`, { method: 'POST', headers, body: '' })).status).toBe(201);
    const replay = await send(`${base}/as/par`, { method: 'POST', headers, body: '' });
    expect(replay.status).toBe(400);
    expect(replay.json().error).toBe('invalid_dpop_proof');
    const garbage = await send(`${base}/as/par`, { method: 'POST', headers: { ...headers, dpop: 'x.y.z' }, body: '' });
    expect(garbage.json().error).toBe('invalid_dpop_proof');
  });

  it('malformed or repeated dpop_jkt, or a request_uri parameter → 400 invalid_request', async () => {
    for (const body of ['dpop_jkt=short', `dpop_jkt=${jkt}&dpop_jkt=${jkt}`, 'request_uri=urn:x']) {
      const res = await post('/as/par', body, { key: null });
      expect(res.status, body).toBe(400);
      expect(res.json().error, body).toBe('invalid_request');
    }
  });

  it('requireProof and requireNonce: no proof → invalid_dpop_proof; no nonce → use_dpop_nonce + DPoP-Nonce', async () => {
    const none = await post('/as/par-strict', {}, { key: null });
    expect(none.status).toBe(400);
    expect(none.json().error).toBe('invalid_dpop_proof');
    const stale = await post('/as/par-strict', {});
    expect(stale.status).toBe(400);
    expect(stale.json().error).toBe('use_dpop_nonce');
    expect(stale.headers['dpop-nonce']).toBe(nonce);
    const ok = await post('/as/par-strict', {}, { proofNonce: stale.headers['dpop-nonce'] as string });
    expect(ok.status).toBe(201);
    expect(ok.json()).toEqual({ jkt });
  });

  it('parJkt() on a route without @DpopParEndpoint() fails loudly (500), never "not bound"', async () => {
    const res = await post('/as/plain', {}, { key: null });
    expect(res.status).toBe(500);
  });
});
