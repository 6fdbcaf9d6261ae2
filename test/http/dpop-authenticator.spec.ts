import { Controller, Get, Headers, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { DpopAuthenticator, type DpopRequestFacts } from '../../lib/http/dpop-authenticator.js';
import {
  AccessTokenError,
  DpopCredentialsRequiredError,
  DpopModule,
  DpopNonceService,
  DpopProofError,
  DpopRequestError,
  DpopVerifierService,
  InsufficientScopeError,
} from '../../lib/index.js';
import { useGuardFixture } from '../helpers/guard-app.js';

// The one path through a request, as data in and a context or a typed refusal out: no request object, no guard.
const fixture = useGuardFixture();
const BASE = 'https://api.example.com';
const URL_ME = `${BASE}/api/me`;

let authenticator: DpopAuthenticator;
let nonces: DpopNonceService;
let bound: string;
let unbound: string;
beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot(fixture.jwtOptions())] }).compile();
  authenticator = moduleRef.get(DpopAuthenticator);
  nonces = moduleRef.get(DpopNonceService);
  bound = await fixture.mint({ cnf: { jkt: fixture.jkt } });
  unbound = await fixture.mint({});
});

/** The facts of a GET /api/me with `token` and a fresh proof (and `extra` header lines). */
async function facts(token = bound, extra: Partial<DpopRequestFacts> = {}, nonce?: string): Promise<DpopRequestFacts> {
  const headers = await fixture.dpopHeaders(BASE, 'GET', '/api/me', token, nonce);
  return { method: 'GET', url: URL_ME, authorization: [headers.authorization!], dpop: [headers.dpop!], ...extra };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('DpopAuthenticator', () => {
  it('verifies a DPoP request: the context of the token and the proof', async () => {
    const { context, nonce } = await authenticator.authenticate(await facts(), {});
    expect(context).toMatchObject({ scheme: 'DPoP', accessToken: bound, jkt: fixture.jkt, proof: { htm: 'GET' } });
    expect(nonce).toBeUndefined();
  });

  it('reads the Authorization header first: none is a bare challenge even beside two DPoP headers', async () => {
    const twoProofs = (await facts()).dpop.concat((await facts()).dpop);
    const error = await refusal(
      authenticator.authenticate({ ...(await facts()), authorization: [], dpop: twoProofs }, {}),
    );
    expect(error).toBeInstanceOf(DpopCredentialsRequiredError);
    const other = await refusal(authenticator.authenticate({ ...(await facts()), authorization: ['Basic abc'] }, {}));
    expect(other).toBeInstanceOf(DpopCredentialsRequiredError);
  });

  it('refuses malformed credential headers as invalid_request', async () => {
    const f = await facts();
    for (const bad of [
      { authorization: [f.authorization[0]!, f.authorization[0]!] },
      { authorization: ['   '] },
      { authorization: ['DPoP '] },
      { authorization: ['DPoP a b'] },
      { dpop: [] },
      { dpop: [f.dpop[0]!, f.dpop[0]!] },
      { dpop: [`${f.dpop[0]!},${f.dpop[0]!}`] },
      { dpop: [''] },
    ]) {
      expect(await refusal(authenticator.authenticate({ ...f, ...bad }, {})), JSON.stringify(bad)).toBeInstanceOf(
        DpopRequestError,
      );
    }
  });

  it('Bearer: refused early on a DPoP-only route; verified for any route without one, then admitted per route', async () => {
    const bearer = { method: 'GET', url: URL_ME, authorization: [`Bearer ${unbound}`], dpop: [] };
    const early = await refusal(authenticator.verifyCredentials(bearer, {}));
    expect(early).toBeInstanceOf(AccessTokenError);
    expect(early!.message).toBe('Bearer tokens are not accepted here');
    const credentials = await authenticator.verifyCredentials(bearer);
    expect(credentials.scheme).toBe('Bearer');
    expect(() => authenticator.admit(credentials, {})).toThrow(AccessTokenError);
    expect(authenticator.admit(credentials, { allowBearer: true }).context).toBe(credentials);
    // a key-bound token is never accepted as Bearer, on any route
    const stolen = { ...bearer, authorization: [`Bearer ${bound}`] };
    expect(await refusal(authenticator.verifyCredentials(stolen))).toBeInstanceOf(AccessTokenError);
  });

  it('admit holds a proof to the route: use_dpop_nonce without a nonce, the current nonce to send for an older one', async () => {
    const credentials = await authenticator.verifyCredentials(await facts());
    let error: unknown;
    try {
      authenticator.admit(credentials, { requireNonce: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DpopProofError);
    expect((error as DpopProofError).code).toBe('use_dpop_nonce');
    expect(nonces.check((error as DpopProofError).nonce!)).toBe(true);
    const current = nonces.issue();
    const withNonce = await authenticator.verifyCredentials(await facts(bound, {}, current));
    expect(authenticator.admit(withNonce, { requireNonce: true }).nonce).toBeUndefined();
  });

  it('admit holds a token to the route scopes: every one granted by scope or scp, else insufficient_scope', async () => {
    const withScopes = async (claims: Record<string, unknown>) =>
      authenticator.verifyCredentials(await facts(await fixture.mint({ cnf: { jkt: fixture.jkt }, ...claims })));
    const read = await withScopes({ scope: 'orders:read profile' });
    expect(authenticator.admit(read, { scopes: ['orders:read'] }).context).toBe(read);
    expect(authenticator.admit(read, { scopes: [] }).context).toBe(read);
    let error: unknown;
    try {
      authenticator.admit(read, { scopes: ['orders:read', 'orders:write'] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(error).toMatchObject({ code: 'insufficient_scope', scopes: ['orders:read', 'orders:write'] });
    expect((error as InsufficientScopeError).getStatus()).toBe(403);
    expect((error as Error).message).toBe('the access token lacks the scope orders:write');
    const scp = await withScopes({ scp: ['orders:write', 'orders:read'] });
    expect(authenticator.admit(scp, { scopes: ['orders:read', 'orders:write'] }).context).toBe(scp);
    // authentication before authorization: a missing nonce is use_dpop_nonce whatever the scopes
    expect(() => authenticator.admit(read, { requireNonce: true, scopes: ['orders:write'] })).toThrow(DpopProofError);
  });

  it('a proof refused for any check consumes nothing: the same proof is then accepted for the right URL', async () => {
    const f = await facts();
    const wrongUrl = await refusal(authenticator.authenticate({ ...f, url: `${BASE}/api/other` }, {}));
    expect(wrongUrl).toBeInstanceOf(DpopProofError);
    await expect(authenticator.authenticate(f, {})).resolves.toMatchObject({ context: { scheme: 'DPoP' } });
    const replay = await refusal(authenticator.authenticate(f, {}));
    expect((replay as DpopProofError).check).toBe('replay');
  });

  it('an endpoint proof: none and none required, none and required, and one accepted', async () => {
    const none = { method: 'POST', url: `${BASE}/token`, authorization: [], dpop: [] };
    await expect(authenticator.verifyEndpointProof(none, { requireProof: false })).resolves.toEqual({
      context: undefined,
    });
    const required = await refusal(authenticator.verifyEndpointProof(none, { requireProof: true }));
    expect(required).toMatchObject({ code: 'invalid_dpop_proof' });
    const proof = (await fixture.dpopHeaders(BASE, 'POST', '/token', bound)).dpop!;
    const accepted = await authenticator.verifyEndpointProof({ ...none, dpop: [proof] }, { requireProof: true });
    expect(accepted.context?.jkt).toBe(fixture.jkt);
  });
});

describe("a DpopProofError that reaches Nest's own exception filter", () => {
  it('answers with the constant description, never the precise message', async () => {
    @Controller()
    class VerifyController {
      constructor(private readonly verifier: DpopVerifierService) {}
      @Get('verify')
      async check(@Headers('dpop') proof: string) {
        return this.verifier.verify(proof, { method: 'GET', url: 'https://elsewhere.example/verify' });
      }
    }
    @Module({ imports: [DpopModule.forRoot({})], controllers: [VerifyController] })
    class VerifyModule {}
    const app = await NestFactory.create(VerifyModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const proof = (await fixture.dpopHeaders(BASE, 'GET', '/verify', bound)).dpop!;
      const res = await fetch(`http://127.0.0.1:${port}/verify`, { headers: { dpop: proof } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: 'invalid_dpop_proof',
        error_description: 'The DPoP proof is not valid',
      });
    } finally {
      await app.close();
    }
  });
});
