import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../lib/index.js';
import {
  ConfirmationError,
  createConfirmation,
  parseConfirmation,
  resolveConfirmation,
  verifyPossession,
} from '../../lib/confirmation/index.js';
import { RFC9449_EXAMPLE } from '../helpers/proofs.js';

const challenge = new TextEncoder().encode('challenge-123');

describe('RFC 7800 confirmation helpers', () => {
  it('jkt: an issuer binds to the thumbprint of a public key (the DPoP default)', async () => {
    const cnf = await createConfirmation({ jwk: RFC9449_EXAMPLE.jwk });
    expect(cnf).toEqual({ jkt: RFC9449_EXAMPLE.jkt }); // RFC 9449 §6.1 example
    expect(await resolveConfirmation(parseConfirmation(cnf))).toEqual({ kind: 'thumbprint', jkt: RFC9449_EXAMPLE.jkt });
  });

  it('jwk: carries only the public members, resolves to the key, and verifies a possession proof', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), use: 'sig' };
    await expect(createConfirmation({ jwk, as: 'jwk' })).rejects.toThrow(ConfirmationError); // a private key
    const cnf = await createConfirmation({ jwk: await exportJWK(publicKey), as: 'jwk' });
    expect(Object.keys(cnf.jwk!).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const key = await resolveConfirmation(parseConfirmation(cnf));
    expect(key).toMatchObject({ kind: 'public', jkt: await jwkThumbprint(cnf.jwk!) });
    const jws = await new CompactSign(challenge).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const { payload } = await verifyPossession(jws, key as Extract<typeof key, { kind: 'public' }>);
    expect(new TextDecoder().decode(payload)).toBe('challenge-123');
    const other = await generateKeyPair('ES256');
    const forged = await new CompactSign(challenge).setProtectedHeader({ alg: 'ES256' }).sign(other.privateKey);
    await expect(verifyPossession(forged, key as Extract<typeof key, { kind: 'public' }>)).rejects.toThrow();
  });

  it('kid: the recipient resolves it; an unknown kid is an error', async () => {
    const cnf = await createConfirmation({ kid: 'dfd1aa97-6d8d-4575-a0fe-34b96de2bfad' }); // RFC 7800 §3.4
    const parsed = parseConfirmation(cnf);
    const key = await resolveConfirmation(parsed, {
      resolveKid: (kid) => (kid === cnf.kid ? RFC9449_EXAMPLE.jwk : undefined),
    });
    expect(key).toMatchObject({ kind: 'public', jkt: RFC9449_EXAMPLE.jkt });
    await expect(
      resolveConfirmation(parseConfirmation({ kid: 'other' }), { resolveKid: () => undefined }),
    ).rejects.toThrow(/does not name a known key/);
  });

  it('jku: https only; the set is fetched by the resolver and the kid picks the key', async () => {
    await expect(createConfirmation({ jku: 'http://keys.example.com/jwks' })).rejects.toThrow(/https/);
    const cnf = await createConfirmation({ jku: 'https://keys.example.com/jwks', kid: 'b' });
    const keys = [
      { ...RFC9449_EXAMPLE.jwk, kid: 'a', x: RFC9449_EXAMPLE.jwk.y },
      { ...RFC9449_EXAMPLE.jwk, kid: 'b' },
    ];
    const fetched: string[] = [];
    const fetchJwks = async (url: URL) => {
      fetched.push(url.href);
      return { keys };
    };
    expect(await resolveConfirmation(parseConfirmation(cnf), { fetchJwks })).toMatchObject({
      jkt: RFC9449_EXAMPLE.jkt,
    });
    expect(fetched).toEqual(['https://keys.example.com/jwks']);
    await expect(resolveConfirmation(parseConfirmation({ jku: cnf.jku }), { fetchJwks })).rejects.toThrow(
      /several keys/,
    );
    await expect(resolveConfirmation(parseConfirmation({ jku: cnf.jku, kid: 'z' }), { fetchJwks })).rejects.toThrow(
      /not in/,
    );
    await expect(resolveConfirmation(parseConfirmation(cnf))).rejects.toThrow(/not accepted/);
  });

  it.each(['ECDH-ES+A256KW', 'RSA-OAEP-256'])(
    'jwe (%s): a symmetric key encrypted to the recipient round-trips and verifies an HMAC possession proof',
    async (alg) => {
      const recipient = await generateKeyPair(alg, { extractable: true });
      const symmetricKey = crypto.getRandomValues(new Uint8Array(32));
      const cnf = await createConfirmation({ symmetricKey, recipientKey: await exportJWK(recipient.publicKey) });
      expect(cnf.jwe!.split('.')).toHaveLength(5);
      const wrong = await generateKeyPair(alg);
      const key = await resolveConfirmation(parseConfirmation(cnf), {
        decryptionKeys: [wrong.privateKey, { ...(await exportJWK(recipient.privateKey)), alg }],
      });
      expect(key).toEqual({ kind: 'symmetric', key: symmetricKey });
      const jws = await new CompactSign(challenge).setProtectedHeader({ alg: 'HS256' }).sign(symmetricKey);
      await expect(verifyPossession(jws, key as Extract<typeof key, { kind: 'symmetric' }>)).resolves.toBeDefined();
      const forged = await new CompactSign(challenge).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
      await expect(verifyPossession(forged, key as Extract<typeof key, { kind: 'symmetric' }>)).rejects.toThrow();
      await expect(resolveConfirmation(parseConfirmation(cnf), { decryptionKeys: [wrong.privateKey] })).rejects.toThrow(
        /cannot be decrypted/,
      );
    },
  );

  it.each([
    [{ jkt: 'abc' }, /thumbprint/],
    [{ jkt: RFC9449_EXAMPLE.jkt, jwk: RFC9449_EXAMPLE.jwk }, /more than one confirmation method \(jkt, jwk\)/],
    [{ jwk: RFC9449_EXAMPLE.jwk, jku: 'https://a.example/' }, /more than one/],
    [{ jwe: 'x', jku: 'https://a.example/' }, /more than one/],
    [{ jwk: { kty: 'oct', k: 'AAAA' } }, /public key/],
    [{ jwk: { ...RFC9449_EXAMPLE.jwk, d: 'AAAA' } }, /public key/],
    [{ jku: 'not a url' }, /URL/],
    [{ kid: 5 }, /kid/],
    [{}, /no confirmation method/],
    [{ x5t: 'unknown only' }, /no confirmation method/],
    [null, /JSON object/],
    [[{ jkt: RFC9449_EXAMPLE.jkt }], /JSON object/],
  ])('parseConfirmation refuses %j', (cnf, message) => {
    expect(() => parseConfirmation(cnf)).toThrow(message);
  });

  it('parseConfirmation ignores unknown members', () => {
    expect(parseConfirmation({ jkt: RFC9449_EXAMPLE.jkt, 'x5t#S256': 'other' })).toEqual({
      method: 'jkt',
      jkt: RFC9449_EXAMPLE.jkt,
    });
  });
});
