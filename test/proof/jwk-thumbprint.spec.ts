import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../lib/index.js';
import { RFC9449_EXAMPLE } from '../helpers/proofs.js';

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the RFC 7638 §3.1 example thumbprint', async () => {
    const jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
        'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajr' +
        'n1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('gives the cnf.jkt of RFC 9449 §6.1 for the key of the §4.2 example proof', async () => {
    expect(await jwkThumbprint(RFC9449_EXAMPLE.jwk)).toBe(RFC9449_EXAMPLE.jkt);
  });

  it('ignores members other than the required ones, and member order', async () => {
    const { kty, x, y, crv } = RFC9449_EXAMPLE.jwk;
    expect(await jwkThumbprint({ y, crv, x, kty, kid: 'other', use: 'sig' })).toBe(RFC9449_EXAMPLE.jkt);
  });

  it('changes when the key changes', async () => {
    expect(await jwkThumbprint({ ...RFC9449_EXAMPLE.jwk, x: RFC9449_EXAMPLE.jwk.y })).not.toBe(RFC9449_EXAMPLE.jkt);
  });
});
