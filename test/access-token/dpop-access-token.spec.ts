import { Test } from '@nestjs/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokenError, DpopAccessTokenService, DpopModule, type AccessTokenClaims } from '../../lib/index.js';
import { RFC9449_EXAMPLE } from '../helpers/proofs.js';

async function serviceWith(claimsFor: (token: string) => AccessTokenClaims | null, clock: { ms: number }, cache = {}) {
  const calls: string[] = [];
  const moduleRef = await Test.createTestingModule({
    imports: [
      DpopModule.forRoot({
        now: () => clock.ms,
        accessTokenCache: cache,
        accessToken: {
          type: 'custom',
          verify: (token) => {
            calls.push(token);
            return claimsFor(token);
          },
        },
      }),
    ],
  }).compile();
  return { tokens: moduleRef.get(DpopAccessTokenService), calls };
}

describe('DpopAccessTokenService', () => {
  it('verifies a token once and serves it from the cache until exp, never after', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const exp = 1_800_000_060;
    const { tokens, calls } = await serviceWith(() => ({ sub: 'a', exp, cnf: { jkt: RFC9449_EXAMPLE.jkt } }), clock);
    for (let i = 0; i < 5; i++) expect((await tokens.verify('t')).jkt).toBe(RFC9449_EXAMPLE.jkt);
    expect(calls).toEqual(['t']);
    clock.ms = exp * 1000 - 1;
    await tokens.verify('t');
    expect(calls).toHaveLength(1);
    clock.ms = exp * 1000;
    await expect(tokens.verify('t')).rejects.toThrow(/expired/);
    expect(calls).toHaveLength(2); // re-verified, not served from the cache
  });

  it('keeps at most maxEntries tokens and at most maxTtlSeconds', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { tokens, calls } = await serviceWith(() => ({ sub: 'a' }), clock, { maxEntries: 2, maxTtlSeconds: 10 });
    await tokens.verify('a');
    await tokens.verify('b');
    await tokens.verify('c'); // evicts a
    await tokens.verify('c');
    await tokens.verify('a');
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
    clock.ms += 10_000;
    await tokens.verify('a');
    expect(calls).toHaveLength(5);
  });

  it('does not cache refusals, and maps bad cnf to an AccessTokenError', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { tokens, calls } = await serviceWith((t) => (t === 'bad-cnf' ? { cnf: { jwe: 'x.y.z.w.v' } } : null), clock);
    await expect(tokens.verify('nope')).rejects.toBeInstanceOf(AccessTokenError);
    await expect(tokens.verify('nope')).rejects.toBeInstanceOf(AccessTokenError);
    await expect(tokens.verify('bad-cnf')).rejects.toThrow(/symmetric key/);
    expect(calls).toEqual(['nope', 'nope', 'bad-cnf']);
  });
});

describe('JWT access tokens with local keys', () => {
  it('checks signature, issuer, audience and algorithms', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const moduleRef = await Test.createTestingModule({
      imports: [
        DpopModule.forRoot({
          accessToken: {
            type: 'jwt',
            issuer: 'https://as.example.com',
            audience: 'api',
            keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }],
            algorithms: ['ES256'],
          },
        }),
      ],
    }).compile();
    const tokens = moduleRef.get(DpopAccessTokenService);
    const mint = (iss: string, aud: string) =>
      new SignJWT({ cnf: { jkt: RFC9449_EXAMPLE.jkt } })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(iss)
        .setAudience(aud)
        .setExpirationTime('1m')
        .sign(privateKey);
    expect((await tokens.verify(await mint('https://as.example.com', 'api'))).jkt).toBe(RFC9449_EXAMPLE.jkt);
    await expect(tokens.verify(await mint('https://evil.example.com', 'api'))).rejects.toBeInstanceOf(AccessTokenError);
    await expect(tokens.verify(await mint('https://as.example.com', 'other'))).rejects.toBeInstanceOf(AccessTokenError);
  });
});
