import { Test } from '@nestjs/testing';
import { generateKeyPair as dpopKeyPair, generateProof } from 'dpop';
import { exportJWK, SignJWT } from 'jose';
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DpopModule,
  DpopNonceService,
  DpopProofError,
  DpopStore,
  DpopStoreUnavailableError,
  DpopVerifierService,
  MemoryDpopStore,
  type DpopAlgorithm,
  type DpopModuleOptions,
} from '../../lib/index.js';
import {
  athOf,
  b64,
  makeKey,
  RFC9449_EXAMPLE,
  RFC9449_RESOURCE_EXAMPLE,
  signProof,
  type TestKey,
} from '../helpers/proofs.js';
import { replayKey } from '../helpers/store-contract.js';

const HTU = 'https://api.example.com/orders';
const NOW = 1_800_000_000; // seconds
let clock = NOW * 1000;

async function verifierWith(options: DpopModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [DpopModule.forRoot({ now: () => clock, ...options })],
  }).compile();
  return {
    verifier: moduleRef.get(DpopVerifierService),
    nonces: moduleRef.get(DpopNonceService),
    store: moduleRef.get(DpopStore) as MemoryDpopStore,
  };
}

/** Runs `verify` and returns the DpopProofError it throws (failing the test if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<DpopProofError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DpopProofError);
  return error as DpopProofError;
}

let es256: TestKey;
let other: TestKey;
beforeAll(async () => {
  es256 = await makeKey('ES256');
  other = await makeKey('ES256');
});
beforeEach(() => {
  clock = NOW * 1000;
});

describe('DpopVerifierService: RFC 9449 examples', () => {
  it('accepts the RFC 9449 §4.2 example proof at its iat and returns its key, thumbprint and claims', async () => {
    clock = RFC9449_EXAMPLE.claims.iat * 1000;
    const { verifier } = await verifierWith();
    const result = await verifier.verify(RFC9449_EXAMPLE.proof, {
      method: 'POST',
      url: 'https://server.example.com/token',
    });
    expect(result.jkt).toBe(RFC9449_EXAMPLE.jkt);
    expect(result.jwk).toEqual(RFC9449_EXAMPLE.jwk);
    expect(result.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: RFC9449_EXAMPLE.jwk });
    expect(result.claims).toEqual(RFC9449_EXAMPLE.claims);
  });

  it('refuses the example proof a second time (replay), and at another URL or method', async () => {
    clock = RFC9449_EXAMPLE.claims.iat * 1000;
    const { verifier } = await verifierWith();
    expect(
      (
        await refusal(
          verifier.verify(RFC9449_EXAMPLE.proof, { method: 'GET', url: 'https://server.example.com/token' }),
        )
      ).check,
    ).toBe('htm');
    expect(
      (
        await refusal(
          verifier.verify(RFC9449_EXAMPLE.proof, { method: 'POST', url: 'https://server.example.com/other' }),
        )
      ).check,
    ).toBe('htu');
    await verifier.verify(RFC9449_EXAMPLE.proof, { method: 'POST', url: 'https://server.example.com/token' });
    const again = await refusal(
      verifier.verify(RFC9449_EXAMPLE.proof, { method: 'POST', url: 'https://server.example.com/token' }),
    );
    expect(again.check).toBe('replay');
    expect(again.code).toBe('invalid_dpop_proof');
  });

  it('accepts the RFC 9449 §7.1 resource-request proof with its access token (ath), and refuses it for another token', async () => {
    const example = RFC9449_RESOURCE_EXAMPLE;
    clock = example.iat * 1000;
    expect(athOf(example.accessToken)).toBe(example.ath); // the RFC's ath is SHA-256 of its token
    const { verifier } = await verifierWith();
    const other = await refusal(
      verifier.verify(example.proof, { method: 'GET', url: example.url, accessToken: 'another' }),
    );
    expect(other.check).toBe('ath');
    const result = await verifier.verify(example.proof, {
      method: 'GET',
      url: example.url,
      accessToken: example.accessToken,
      jkt: RFC9449_EXAMPLE.jkt,
    });
    expect(result.claims).toMatchObject({ jti: 'e1j3V_bKic8-LAEB', ath: example.ath });
  });

  it('refuses the example proof once its iat is older than maxProofAge', async () => {
    clock = (RFC9449_EXAMPLE.claims.iat + 61) * 1000;
    const { verifier } = await verifierWith();
    const error = await refusal(
      verifier.verify(RFC9449_EXAMPLE.proof, { method: 'POST', url: 'https://server.example.com/token' }),
    );
    expect(error.check).toBe('iat');
  });
});

describe('DpopVerifierService: algorithms', () => {
  const algorithms: DpopAlgorithm[] = [
    'ES256',
    'ES384',
    'ES512',
    'PS256',
    'PS384',
    'PS512',
    'RS256',
    'RS384',
    'RS512',
    'EdDSA',
    'Ed25519',
  ];
  it.each(algorithms)('accepts a %s proof', async (alg) => {
    const { verifier } = await verifierWith();
    const key = await makeKey(alg);
    const proof = await signProof(key, { htm: 'GET', htu: HTU, iat: NOW });
    const result = await verifier.verify(proof, { method: 'GET', url: HTU });
    expect(result.header.alg).toBe(alg);
    expect(result.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['ES256', 'Ed25519', 'RS256', 'PS256'] as const)(
    'accepts proofs made by the dpop client library (%s), with ath and nonce',
    async (alg) => {
      const { verifier, nonces } = await verifierWith({ nonce: { required: true } });
      const keyPair = await dpopKeyPair(alg);
      clock = Date.now(); // the dpop library stamps iat from the real clock
      const nonce = nonces.issue();
      const proof = await generateProof(keyPair, `${HTU}?page=2`, 'POST', nonce, 'access-token-1');
      const result = await verifier.verify(proof, {
        method: 'POST',
        url: `${HTU}?page=3`,
        accessToken: 'access-token-1',
      });
      expect(result.claims.ath).toBe(athOf('access-token-1'));
      expect(result.claims.nonce).toBe(nonce);
    },
  );

  it('refuses an algorithm left out of the allow-list', async () => {
    const { verifier } = await verifierWith({ algorithms: ['ES256'] });
    const proof = await signProof(await makeKey('EdDSA'), { htm: 'GET', htu: HTU, iat: NOW });
    expect((await refusal(verifier.verify(proof, { method: 'GET', url: HTU }))).check).toBe('alg');
    expect(verifier.algorithms).toEqual(['ES256']);
  });
});

describe('DpopVerifierService: every check fails closed', () => {
  let verifier: DpopVerifierService;
  let store: MemoryDpopStore;
  const base = { htm: 'GET', htu: HTU, iat: NOW };
  const request = { method: 'GET', url: HTU };
  beforeEach(async () => {
    ({ verifier, store } = await verifierWith());
  });
  afterEach(() => {
    expect(store.size).toBe(0); // nothing was recorded for a refused proof
  });

  const sign = (parts: Parameters<typeof signProof>[2]) => signProof(es256, base, parts);
  /** A proof with any header and payload, signed by `key` over exactly those bytes. */
  const raw = (header: unknown, payload: unknown, key = es256) => rawSign(b64(header), b64(payload), key);
  async function rawSign(header: string, payload: string, key: TestKey): Promise<string> {
    const params = { name: 'ECDSA', hash: 'SHA-256' }; // ES256 test keys only
    const signature = await crypto.subtle.sign(params, key.privateKey, Buffer.from(`${header}.${payload}`));
    return `${header}.${payload}.${Buffer.from(signature).toString('base64url')}`;
  }
  const header = () => ({ typ: 'dpop+jwt', alg: 'ES256', jwk: es256.publicJwk });
  const claims = () => ({ jti: randomUUID(), htm: 'GET', htu: HTU, iat: NOW });

  const cases: [string, string, () => Promise<unknown>][] = [
    ['no proof', 'format', async () => undefined],
    ['a number', 'format', async () => 42],
    ['an empty string', 'format', async () => ''],
    ['two segments', 'format', async () => (await sign({})).split('.').slice(0, 2).join('.')],
    ['four segments', 'format', async () => `${await sign({})}.AAAA`],
    ['an empty signature', 'format', async () => (await sign({})).replace(/\.[^.]+$/, '.')],
    ['two proofs joined by a comma', 'format', async () => `${await sign({})}, ${await sign({})}`],
    ['padding characters', 'format', async () => `${await sign({})}==`],
    // Node's base64url decoder also reads the base64 alphabet: '+' and '/' must be refused before decoding.
    ['a header with a base64 "+"', 'format', async () => rawSign(`+${b64(header())}`, b64(claims()), es256)],
    ['a payload with a base64 "/"', 'format', async () => rawSign(b64(header()), `/${b64(claims())}`, es256)],
    ['a signature with a base64 "+"', 'format', async () => `${await sign({})}+`],
    ['a JWS JSON serialization', 'format', async () => JSON.stringify({ payload: 'e30', signatures: [] })],
    ['a header that is not JSON', 'format', async () => `${b64('{"typ":')}.${b64(claims())}.AAAA`],
    ['a header that is a JSON array', 'format', async () => raw(['dpop+jwt'], claims())],
    ['a payload that is not a JSON object', 'format', async () => raw(header(), [1, 2])],
    ['a payload that is not JSON', 'format', async () => rawSign(b64(header()), b64('not json'), es256)],
    // RFC 7515 §4: duplicate member names are refused, never read last-wins (read one way here, another elsewhere).
    [
      'a header with jwk twice (a private key first, the public key last)',
      'format',
      async () => {
        const privateJwk = JSON.stringify(await exportJWK(es256.privateKey));
        const text = `{"typ":"dpop+jwt","alg":"ES256","jwk":${privateJwk},"jwk":${JSON.stringify(es256.publicJwk)}}`;
        return raw(text, claims());
      },
    ],
    [
      'a header with alg twice',
      'format',
      async () =>
        raw(`{"typ":"dpop+jwt","alg":"HS256","alg":"ES256","jwk":${JSON.stringify(es256.publicJwk)}}`, claims()),
    ],
    [
      'a header naming jwk twice, once escaped',
      'format',
      async () =>
        raw(
          `{"typ":"dpop+jwt","alg":"ES256","jwk":${JSON.stringify(es256.publicJwk)},"\\u006awk":${JSON.stringify(es256.publicJwk)}}`,
          claims(),
        ),
    ],
    [
      'a duplicate member inside the header jwk',
      'format',
      async () => {
        const { x } = es256.publicJwk as { x: string };
        const jwk = JSON.stringify(es256.publicJwk).replace('{', `{"x":"${x}",`);
        return raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":${jwk}}`, claims());
      },
    ],
    [
      'claims with htu twice',
      'format',
      async () =>
        raw(
          header(),
          `{"jti":"${randomUUID()}","htm":"GET","htu":"https://other.example/x","htu":"${HTU}","iat":${NOW}}`,
        ),
    ],
    ['no typ', 'typ', async () => sign({ header: { typ: undefined } })],
    ['typ jwt', 'typ', async () => sign({ header: { typ: 'jwt' } })],
    ['typ in other case', 'typ', async () => sign({ header: { typ: 'DPOP+JWT' } })],
    ['typ application/dpop+jwt', 'typ', async () => sign({ header: { typ: 'application/dpop+jwt' } })],
    ['alg none', 'alg', async () => `${b64({ ...header(), alg: 'none' })}.${b64(claims())}.AAAA`],
    [
      'alg HS256 keyed with the public key',
      'alg',
      async () =>
        new SignJWT(claims())
          .setProtectedHeader({ ...header(), alg: 'HS256' })
          .sign(new TextEncoder().encode(JSON.stringify(es256.publicJwk))),
    ],
    ['an alg that is not a string', 'alg', async () => raw({ ...header(), alg: ['ES256'] }, claims())],
    ['ES384 with a P-256 key', 'alg', async () => raw({ ...header(), alg: 'ES384' }, claims())],
    ['RS256 with an EC key', 'alg', async () => raw({ ...header(), alg: 'RS256' }, claims())],
    ['EdDSA with an EC key', 'alg', async () => raw({ ...header(), alg: 'EdDSA' }, claims())],
    ['a jwk alg that differs', 'alg', async () => sign({ header: { jwk: { ...es256.publicJwk, alg: 'ES384' } } })],
    ['crit parameters', 'format', async () => raw({ ...header(), crit: ['exp'], exp: 1 }, claims())],
    ['no jwk', 'jwk', async () => sign({ header: { jwk: undefined } })],
    ['a jwk that is a string', 'jwk', async () => sign({ header: { jwk: 'key' } })],
    ['a jwk with the private key', 'jwk', async () => sign({ header: { jwk: { ...es256.publicJwk, d: 'AAAA' } } })],
    ['a jwk with an empty d', 'jwk', async () => sign({ header: { jwk: { ...es256.publicJwk, d: '' } } })],
    ['an oct jwk', 'jwk', async () => sign({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } })],
    ['an encryption jwk', 'jwk', async () => sign({ header: { jwk: { ...es256.publicJwk, use: 'enc' } } })],
    ['a jwk missing y', 'jwk', async () => sign({ header: { jwk: { ...es256.publicJwk, y: undefined } } })],
    ['a jwk with a number x', 'jwk', async () => sign({ header: { jwk: { ...es256.publicJwk, x: 1 } } })],
    [
      'a jwk point off the curve',
      'jwk',
      async () => sign({ header: { jwk: { ...es256.publicJwk, x: es256.publicJwk.y } } }),
    ],
    [
      'a jwk x with padding',
      'jwk',
      async () => sign({ header: { jwk: { ...es256.publicJwk, x: `${es256.publicJwk.x}=` } } }),
    ],
    [
      'a jwk x with a leading zero byte',
      'jwk',
      async () =>
        sign({
          header: {
            jwk: {
              ...es256.publicJwk,
              x: Buffer.concat([Buffer.alloc(1), Buffer.from(es256.publicJwk.x!, 'base64url')]).toString('base64url'),
            },
          },
        }),
    ],
    ['a jwk of another key', 'signature', async () => sign({ header: { jwk: other.publicJwk } })],
    [
      'a tampered payload',
      'signature',
      async () => {
        const [h, , s] = (await sign({})).split('.');
        return `${h}.${b64({ ...claims(), htm: 'GET' })}.${s}`;
      },
    ],
    ['a truncated signature', 'signature', async () => (await sign({})).slice(0, -4)],
    ['no jti', 'claims', async () => sign({ claims: { jti: undefined } })],
    ['an empty jti', 'claims', async () => sign({ claims: { jti: '' } })],
    ['a numeric jti', 'claims', async () => sign({ claims: { jti: 12345 } })],
    ['a 257-character jti', 'claims', async () => sign({ claims: { jti: 'j'.repeat(257) } })],
    ['no htm', 'claims', async () => sign({ claims: { htm: undefined } })],
    ['a numeric htm', 'claims', async () => sign({ claims: { htm: 1 } })],
    ['no htu', 'claims', async () => sign({ claims: { htu: undefined } })],
    ['an htu object', 'claims', async () => sign({ claims: { htu: { href: HTU } } })],
    ['no iat', 'claims', async () => sign({ claims: { iat: undefined } })],
    ['a string iat', 'claims', async () => sign({ claims: { iat: String(NOW) } })],
    ['htm of another method', 'htm', async () => sign({ claims: { htm: 'POST' } })],
    ['htm in lower case', 'htm', async () => sign({ claims: { htm: 'get' } })],
    ['htu of another path', 'htu', async () => sign({ claims: { htu: `${HTU}/1` } })],
    ['htu of another host', 'htu', async () => sign({ claims: { htu: 'https://evil.example/orders' } })],
    ['htu that is not a URL', 'htu', async () => sign({ claims: { htu: 'orders' } })],
    ['iat too old', 'iat', async () => sign({ claims: { iat: NOW - 61 } })],
    ['iat too far ahead', 'iat', async () => sign({ claims: { iat: NOW + 31 } })],
    ['iat 1e308', 'iat', async () => sign({ claims: { iat: 1e308 } })],
  ];

  it.each(cases)('refuses %s (check %s)', async (_name, check, make) => {
    const proof = await make();
    const error = await refusal(verifier.verify(proof, request));
    expect(error.check).toBe(check);
    expect(error.code).toBe('invalid_dpop_proof');
    expect(error.getStatus()).toBe(401);
    expect(error.message).toMatch(/^DPoP proof /);
    if (typeof proof === 'string' && proof.length > 20) {
      // nothing of the input leaks into the error
      for (const part of proof.split(/[.,]/).filter((p) => p.length > 8)) expect(error.message).not.toContain(part);
      expect(JSON.stringify(error.getResponse())).not.toContain(HTU);
    }
  });

  it('checks the payload and signature alphabet also for a header already in the key cache', async () => {
    const own = await verifierWith();
    const [h] = (await sign({})).split('.');
    await own.verifier.verify(await sign({}), request); // the header is now cached
    expect(own.store.size).toBe(1);
    for (const proof of [
      await rawSign(h!, `/${b64(claims())}`, es256),
      `${await rawSign(h!, b64(claims()), es256)}+`,
      `${await rawSign(h!, b64(claims()), es256)}.`,
    ]) {
      expect((await refusal(own.verifier.verify(proof, request))).check).toBe('format');
    }
    expect(own.store.size).toBe(1);
  });

  it('refuses a proof longer than maxProofLength before decoding it', async () => {
    const proof = await sign({ claims: { pad: 'x'.repeat(9000) } });
    expect((await refusal(verifier.verify(proof, request))).message).toBe('DPoP proof is too long');
  });

  it('refuses a proof signed by a 1024-bit RSA key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' });
    const h = b64({ typ: 'dpop+jwt', alg: 'RS256', jwk });
    const p = b64(claims());
    const signature = createSign('sha256').update(`${h}.${p}`).sign(privateKey).toString('base64url');
    const error = await refusal(verifier.verify(`${h}.${p}.${signature}`, request));
    expect(error.check).toBe('jwk');
  });

  it('refuses an RSA key with a huge public exponent (CPU exhaustion) and one with an even exponent', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    for (const e of [Buffer.alloc(256, 0xff), Buffer.from([0x01, 0x00, 0x00])]) {
      const h = b64({ typ: 'dpop+jwt', alg: 'RS256', jwk: { ...jwk, e: e.toString('base64url') } });
      const error = await refusal(verifier.verify(`${h}.${b64(claims())}.${'A'.repeat(342)}`, request));
      expect(error.check).toBe('jwk');
    }
  });

  it('handles a deeply nested header member without a crash', async () => {
    const { verifier: roomy } = await verifierWith({ maxProofLength: 65_536 });
    const deep = `${'['.repeat(12_000)}${']'.repeat(12_000)}`;
    const h = Buffer.from(
      `{"typ":"dpop+jwt","alg":"ES256","jwk":${JSON.stringify(es256.publicJwk)},"z":${deep}}`,
    ).toString('base64url');
    const error = await refusal(roomy.verify(`${h}.${b64(claims())}.${'A'.repeat(86)}`, request));
    expect(error.check).toBe('signature');
  });

  it('a refused proof consumes nothing: the same proof is accepted once the request matches', async () => {
    const proof = await sign({});
    await refusal(verifier.verify(proof, { method: 'POST', url: HTU }));
    await refusal(verifier.verify(proof, { method: 'GET', url: `${HTU}/x` }));
    await refusal(verifier.verify(proof, { ...request, jkt: 'another-thumbprint' }));
    expect(store.size).toBe(0);
    await verifier.verify(proof, request);
    expect(store.size).toBe(1);
    await refusal(verifier.verify(proof, request));
    store['records'].clear(); // keep the afterEach assertion about refused proofs meaningful
  });
});

describe('DpopVerifierService: iat window boundaries', () => {
  it.each([
    ['exactly maxProofAge old', -60, true],
    ['one second older', -61, false],
    ['a millisecond older', -60.001, false],
    ['exactly maxClockSkew ahead', 30, true],
    ['one second further ahead', 31, false],
    ['a millisecond further ahead', 30.001, false],
  ])('iat %s → accepted: %s', async (_name, offset, accepted) => {
    const { verifier } = await verifierWith();
    const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW + offset });
    const outcome = verifier.verify(proof, { method: 'GET', url: HTU });
    if (accepted) await expect(outcome).resolves.toMatchObject({ claims: { iat: NOW + offset } });
    else expect((await refusal(outcome)).check).toBe('iat');
  });

  it('honours configured windows', async () => {
    const { verifier } = await verifierWith({ maxProofAge: 300, maxClockSkew: 0 });
    await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW - 300 }), {
      method: 'GET',
      url: HTU,
    });
    const ahead = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW + 1 });
    expect((await refusal(verifier.verify(ahead, { method: 'GET', url: HTU }))).check).toBe('iat');
  });

  it('keeps the replay record for the whole acceptance window', async () => {
    const { verifier } = await verifierWith();
    const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW + 30 });
    await verifier.verify(proof, { method: 'GET', url: HTU });
    for (const later of [1, 60, 89, 90]) {
      clock = (NOW + later) * 1000;
      expect((await refusal(verifier.verify(proof, { method: 'GET', url: HTU }))).check).toBe('replay');
    }
    clock = (NOW + 90) * 1000 + 1;
    expect((await refusal(verifier.verify(proof, { method: 'GET', url: HTU }))).check).toBe('iat');
  });
});

describe('DpopVerifierService: ath', () => {
  const token = 'eyJhbGciOiJFUzI1NiJ9.access-token.sig';
  it('accepts a matching ath and refuses a missing or wrong one', async () => {
    const { verifier } = await verifierWith();
    const ok = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { ath: athOf(token) } });
    await verifier.verify(ok, { method: 'GET', url: HTU, accessToken: token });
    const missing = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    expect((await refusal(verifier.verify(missing, { method: 'GET', url: HTU, accessToken: token }))).message).toBe(
      'DPoP proof ath is missing',
    );
    const wrong = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { ath: athOf('other') } });
    expect((await refusal(verifier.verify(wrong, { method: 'GET', url: HTU, accessToken: token }))).check).toBe('ath');
    const numeric = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { ath: 1 } });
    expect((await refusal(verifier.verify(numeric, { method: 'GET', url: HTU, accessToken: token }))).check).toBe(
      'ath',
    );
  });

  it('takes a precomputed accessTokenHash (a cached token) in place of hashing the token again', async () => {
    const { verifier } = await verifierWith();
    const proof = () => signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { ath: athOf(token) } });
    const request = { method: 'GET', url: HTU, accessToken: token };
    await expect(verifier.verify(await proof(), { ...request, accessTokenHash: athOf(token) })).resolves.toBeDefined();
    // The hash is what the proof is compared with: a wrong one refuses even a right proof.
    const error = await refusal(verifier.verify(await proof(), { ...request, accessTokenHash: athOf('other') }));
    expect(error.check).toBe('ath');
  });

  it('with requireAth: false accepts a draft-03 proof without ath but still checks a present one', async () => {
    const { verifier } = await verifierWith({ requireAth: false });
    const draft03 = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    await expect(verifier.verify(draft03, { method: 'GET', url: HTU, accessToken: token })).resolves.toBeDefined();
    const wrong = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { ath: athOf('other') } });
    expect((await refusal(verifier.verify(wrong, { method: 'GET', url: HTU, accessToken: token }))).check).toBe('ath');
    const perRequest = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    expect(
      (await refusal(verifier.verify(perRequest, { method: 'GET', url: HTU, accessToken: token, requireAth: true })))
        .check,
    ).toBe('ath');
  });
});

describe('DpopVerifierService: nonces', () => {
  it('demands a nonce when required, and the error carries a fresh one that then works', async () => {
    const { verifier, store } = await verifierWith({ nonce: { required: true } });
    const missing = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    const error = await refusal(verifier.verify(missing, { method: 'GET', url: HTU }));
    expect(error.code).toBe('use_dpop_nonce');
    expect(error.nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/); // NQCHAR (RFC 9449 §8.1)
    expect(store.size).toBe(0);
    const retry = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { nonce: error.nonce } });
    await expect(verifier.verify(retry, { method: 'GET', url: HTU })).resolves.toMatchObject({
      claims: { nonce: error.nonce },
    });
  });

  it('refuses a wrong, stale or foreign nonce with use_dpop_nonce and a fresh nonce', async () => {
    const { verifier, nonces } = await verifierWith({ nonce: { required: true, stepSeconds: 60, acceptedSteps: 3 } });
    const foreign = (await verifierWith({ nonce: { required: true } })).nonces.issue();
    const old = nonces.issue();
    for (const nonce of ['wrong', foreign, 42, '']) {
      const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { nonce } });
      const error = await refusal(verifier.verify(proof, { method: 'GET', url: HTU }));
      expect(error.code).toBe('use_dpop_nonce');
      expect(nonces.check(error.nonce!)).toBe(true);
    }
    clock = (NOW + 180) * 1000; // three steps later
    const stale = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW + 180 }, { claims: { nonce: old } });
    const error = await refusal(verifier.verify(stale, { method: 'GET', url: HTU }));
    expect(error.code).toBe('use_dpop_nonce');
    expect(error.nonce).not.toBe(old);
  });

  it('a nonce that is present but not accepted gets use_dpop_nonce and a fresh nonce also where nonces are not required; can be required per request', async () => {
    const { verifier, nonces, store } = await verifierWith();
    const bad = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { nonce: 'made-up' } });
    const badError = await refusal(verifier.verify(bad, { method: 'GET', url: HTU }));
    expect(badError.code).toBe('use_dpop_nonce');
    expect(badError.check).toBe('nonce');
    expect(nonces.check(badError.nonce!)).toBe(true);
    expect(store.size).toBe(0); // refused before the replay record
    const none = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    expect((await refusal(verifier.verify(none, { method: 'GET', url: HTU, requireNonce: true }))).code).toBe(
      'use_dpop_nonce',
    );
    await verifier.verify(none, { method: 'GET', url: HTU });
  });
});

describe('DpopVerifierService: the store answers at once or later', () => {
  /** A store that answers through a promise, as a database does. */
  class AsyncStore extends MemoryDpopStore {
    calls = 0;
    override rememberProof(key: string, expiresAt: number): Promise<boolean> {
      this.calls++;
      return new Promise((resolve) => setImmediate(() => resolve(super.rememberProof(key, expiresAt))));
    }
  }

  it('a memory store and a store that answers a loop turn later are both awaited; both refuse a replay', async () => {
    for (const store of [new MemoryDpopStore(), new AsyncStore()]) {
      const { verifier } = await verifierWith({ store });
      const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
      await expect(verifier.verify(proof, { method: 'GET', url: HTU })).resolves.toMatchObject({
        claims: { htm: 'GET' },
      });
      expect((await refusal(verifier.verify(proof, { method: 'GET', url: HTU }))).check).toBe('replay');
      if (store instanceof AsyncStore) expect(store.calls).toBe(2);
    }
  });

  it('a store that throws synchronously or rejects is a 503, never an acceptance', async () => {
    class Throwing extends MemoryDpopStore {
      override rememberProof(): Promise<boolean> {
        throw new Error('down'); // against the contract (it should reject): still refused
      }
    }
    class Rejecting extends MemoryDpopStore {
      override rememberProof(): Promise<boolean> {
        return Promise.reject(new Error('down'));
      }
    }
    for (const store of [new Throwing(), new Rejecting()]) {
      const { verifier } = await verifierWith({ store });
      const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
      await expect(verifier.verify(proof, { method: 'GET', url: HTU })).rejects.toBeInstanceOf(
        DpopStoreUnavailableError,
      );
    }
  });
});

describe('DpopVerifierService: key binding, replay and the store', () => {
  it('checks the proof key against the token binding (jkt)', async () => {
    const { verifier } = await verifierWith();
    const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    const other = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    const { jkt } = await verifier.verify(proof, { method: 'GET', url: HTU });
    await expect(verifier.verify(other, { method: 'GET', url: HTU, jkt })).resolves.toMatchObject({ jkt });
    const wrong = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    expect((await refusal(verifier.verify(wrong, { method: 'GET', url: HTU, jkt: RFC9449_EXAMPLE.jkt }))).check).toBe(
      'key_binding',
    );
  });

  it('records SHA-256(jkt, 0, jti as UTF-8) for every kind of jti, after a long one grew the scratch buffer', async () => {
    const keys: string[] = [];
    class Recording extends MemoryDpopStore {
      override rememberProof(key: string, expiresAt: number) {
        keys.push(key);
        return super.rememberProof(key, expiresAt);
      }
    }
    const { verifier } = await verifierWith({ store: new Recording() });
    const jtis = [
      'j'.repeat(256),
      'ascii-1',
      'é-ü-ß',
      '日本語のjti',
      '😀 emoji',
      'lone \ud800 surrogate',
      '\u0000nul',
      'x',
    ];
    for (const jti of jtis) {
      const { jkt } = await verifier.verify(
        await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { jti } }),
        {
          method: 'GET',
          url: HTU,
        },
      );
      expect(keys.at(-1)).toBe(replayKey(jkt, jti));
    }
    expect(new Set(keys).size).toBe(jtis.length);
  });

  it('accepts exactly one of 50 concurrent verifications of one proof', async () => {
    const { verifier } = await verifierWith();
    const proof = await signProof(await makeKey('ES256'), { htm: 'POST', htu: HTU, iat: NOW });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => verifier.verify(proof, { method: 'POST', url: HTU })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const reasons = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as DpopProofError] : []));
    expect(reasons).toHaveLength(49);
    expect(reasons.every((r) => r instanceof DpopProofError && r.check === 'replay')).toBe(true);
  });

  it('treats the same jti under another key as a different proof', async () => {
    const { verifier } = await verifierWith();
    const a = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { jti: 'same' } });
    const b = await signProof(other, { htm: 'GET', htu: HTU, iat: NOW }, { claims: { jti: 'same' } });
    await verifier.verify(a, { method: 'GET', url: HTU });
    await verifier.verify(b, { method: 'GET', url: HTU });
  });

  it('fails closed when the store cannot answer', async () => {
    class BrokenStore extends MemoryDpopStore {
      calls = 0;
      override rememberProof(): Promise<boolean> {
        this.calls++;
        return Promise.reject(new Error('connection refused'));
      }
    }
    const broken = new BrokenStore();
    const { verifier } = await verifierWith({ store: broken });
    const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    const error = await verifier.verify(proof, { method: 'GET', url: HTU }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DpopStoreUnavailableError);
    expect((error as DpopStoreUnavailableError).getStatus()).toBe(503);
    expect(JSON.stringify((error as DpopStoreUnavailableError).getResponse())).not.toContain('connection refused');
    expect(broken.calls).toBe(1);
  });

  it('refuses new proofs when the memory store is full of live records, and takes them again once they expire', async () => {
    const store = new MemoryDpopStore({ maxEntries: 2, now: () => clock });
    const { verifier } = await verifierWith({ store });
    for (let i = 0; i < 2; i++)
      await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }), { method: 'GET', url: HTU });
    const third = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    await expect(verifier.verify(third, { method: 'GET', url: HTU })).rejects.toBeInstanceOf(DpopStoreUnavailableError);
    clock = (NOW + 62) * 1000;
    const fresh = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW + 62 });
    await verifier.verify(fresh, { method: 'GET', url: HTU });
    expect(store.size).toBe(1);
  });

  it('does not let a caller corrupt the key cache through the returned objects', async () => {
    const { verifier } = await verifierWith();
    const first = await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }), {
      method: 'GET',
      url: HTU,
    });
    expect(() => {
      (first.jwk as { x: string }).x = 'changed';
    }).toThrow(TypeError);
    const second = await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }), {
      method: 'GET',
      url: HTU,
    });
    expect(second.jwk.x).toBe(es256.publicJwk.x);
  });
});

describe('DpopVerifierService: batched checks (the guard with yieldToEventLoop)', () => {
  it("checks a returning client's proofs on the next setImmediate, one turn's checks together, each with its own answer", async () => {
    class CountingStore extends MemoryDpopStore {
      calls = 0;
      override rememberProof(key: string, expiresAt: number) {
        this.calls++;
        return super.rememberProof(key, expiresAt);
      }
    }
    const store = new CountingStore();
    const { verifier } = await verifierWith({ store });
    const request = { method: 'GET', url: HTU };
    await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }), request); // imports the key
    const [good, replayed] = await Promise.all([1, 2].map(() => signProof(es256, { htm: 'GET', htu: HTU, iat: NOW })));
    const forged = good!.slice(0, -4) + (good!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    store.calls = 0;

    const answers = [good, replayed, replayed, forged].map((proof) => verifier.verifyInBatch(proof, request));
    expect(store.calls).toBe(0); // nothing checked or recorded yet: the checks wait for the next setImmediate
    // the format is still checked at once: refused before the batch runs
    let formatRefused: unknown;
    verifier.verifyInBatch('not a jws', request).catch((error: unknown) => (formatRefused = error));
    await Promise.resolve();
    expect(formatRefused).toBeInstanceOf(DpopProofError);
    expect(store.calls).toBe(0);

    const outcomes = await Promise.allSettled(answers);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'accepted' : (o.reason as DpopProofError).check))).toEqual([
      'accepted',
      'accepted',
      'replay',
      'signature',
    ]);
    expect(store.calls).toBe(3); // the forged proof never reached the store
  });

  it("a direct verify() checks at once, in the caller's turn (no batch)", async () => {
    const store = new MemoryDpopStore();
    const { verifier } = await verifierWith({ store });
    const request = { method: 'GET', url: HTU };
    await verifier.verify(await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW }), request); // imports the key
    const proof = await signProof(es256, { htm: 'GET', htu: HTU, iat: NOW });
    const before = store.size;
    const answer = verifier.verify(proof, request);
    await Promise.resolve();
    await Promise.resolve();
    expect(store.size).toBe(before + 1); // recorded within microtasks, not a loop turn later
    await expect(answer).resolves.toMatchObject({ claims: { htm: 'GET' } });
  });
});
