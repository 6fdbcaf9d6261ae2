import { Test } from '@nestjs/testing';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessTokenError, DpopAccessTokenService, DpopModule, type JwtAccessTokenOptions } from '../../lib/index.js';
import { RFC9449_EXAMPLE } from '../helpers/proofs.js';

// `accessToken: { type: 'jwt', profile: 'rfc9068' }`: the token's `typ` must be at+jwt and it must carry the
// claims of RFC 9068 §2.2. Tokens are minted with jose and verified by the real module.
const ISSUER = 'https://as.example.com';
const AUDIENCE = 'https://api.example.com';
const REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

let signingKey: CryptoKey;
let publicJwk: JWK;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1' };
});

async function serviceWith(extra: Partial<JwtAccessTokenOptions> = {}): Promise<DpopAccessTokenService> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DpopModule.forRoot({
        accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, keys: [publicJwk], ...extra },
      }),
    ],
  }).compile();
  return moduleRef.get(DpopAccessTokenService);
}

/** A token with every RFC 9068 claim, `typ` as given (undefined: no `typ`), then `without` removed. */
function mint(typ: string | undefined, without?: (typeof REQUIRED)[number]): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: ISSUER,
    exp: now + 300,
    aud: AUDIENCE,
    sub: 'alice',
    client_id: 'spa',
    iat: now,
    jti: `jti-${Math.random()}`,
    cnf: { jkt: RFC9449_EXAMPLE.jkt },
  };
  if (without !== undefined) delete claims[without];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ === undefined ? {} : { typ }) })
    .sign(signingKey);
}

describe("JWT access tokens with profile: 'rfc9068'", () => {
  it('accepts typ at+jwt, application/at+jwt, in any case', async () => {
    const tokens = await serviceWith({ profile: 'rfc9068' });
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      expect((await tokens.verify(await mint(typ))).claims).toMatchObject({ sub: 'alice', client_id: 'spa' });
    }
  });

  it.each([['JWT'], ['jwt'], ['application/okta-internal-at+jwt'], ['dpop+jwt'], [undefined]])(
    'refuses typ %s',
    async (typ) => {
      const tokens = await serviceWith({ profile: 'rfc9068' });
      await expect(tokens.verify(await mint(typ))).rejects.toBeInstanceOf(AccessTokenError);
    },
  );

  it.each(REQUIRED.map((claim) => [claim]))('refuses a token without %s', async (claim) => {
    const tokens = await serviceWith({ profile: 'rfc9068' });
    const refusal = tokens.verify(await mint('at+jwt', claim));
    await expect(refusal).rejects.toBeInstanceOf(AccessTokenError);
    await expect(refusal).rejects.toThrow(new RegExp(`\\b${claim}\\b`));
  });

  it('refuses sub, client_id or jti that is not a string', async () => {
    const tokens = await serviceWith({ profile: 'rfc9068' });
    for (const claim of ['sub', 'client_id', 'jti']) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ sub: 'alice', client_id: 'spa', jti: 'j', [claim]: 42 })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(signingKey);
      await expect(tokens.verify(token)).rejects.toBeInstanceOf(AccessTokenError);
    }
  });

  it("typ: 'application/at+jwt' may be given with the profile; it is the same type", async () => {
    const tokens = await serviceWith({ profile: 'rfc9068', typ: 'application/at+jwt' });
    expect((await tokens.verify(await mint('at+jwt'))).claims.sub).toBe('alice');
  });
});

describe('JWT access tokens without a profile (as before)', () => {
  it('accept any typ, or none, and tokens without client_id, jti, sub or iat', async () => {
    const tokens = await serviceWith();
    for (const typ of ['JWT', 'at+jwt', undefined]) expect((await tokens.verify(await mint(typ))).claims).toBeTruthy();
    for (const claim of ['client_id', 'jti', 'sub', 'iat'] as const) {
      expect((await tokens.verify(await mint('JWT', claim))).claims).toBeTruthy();
    }
  });
});
