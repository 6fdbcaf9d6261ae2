import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const keyOptions: Record<string, Parameters<typeof generateKeyPair>[1]> = {
  RS256: { modulusLength: 2048 },
  RS384: { modulusLength: 2048 },
  RS512: { modulusLength: 2048 },
  PS256: { modulusLength: 2048 },
  PS384: { modulusLength: 2048 },
  PS512: { modulusLength: 2048 },
  EdDSA: { crv: 'Ed25519' },
};

export async function makeKey(alg: string, options: Parameters<typeof generateKeyPair>[1] = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...keyOptions[alg], ...options });
  return { alg, privateKey, publicJwk: await exportJWK(publicKey) };
}

export const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export const athOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

export interface ProofParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** Drops members set to undefined, so a test can remove a required one. */
function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

/** Signs a proof with jose; header and claims default to a valid proof for `htm`/`htu` at `iat`. */
export function signProof(
  key: TestKey,
  base: { htm: string; htu: string; iat: number },
  parts: ProofParts = {},
): Promise<string> {
  const claims = withoutUndefined({ jti: randomUUID(), htm: base.htm, htu: base.htu, iat: base.iat, ...parts.claims });
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...parts.header });
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** The RFC 9449 §4.2 example proof (Figure 2), its key's thumbprint (§6.1) and its request. */
export const RFC9449_EXAMPLE = {
  proof:
    'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik' +
    'VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR' +
    'nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE' +
    'QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj' +
    'oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia' +
    'WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg' +
    '4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg',
  jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
  jwk: {
    kty: 'EC',
    x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
    y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
    crv: 'P-256',
  },
  claims: { jti: '-BwC3ESc6acc2lTc', htm: 'POST', htu: 'https://server.example.com/token', iat: 1562262616 },
} as const;

/** The RFC 9449 §7.1 example: a protected-resource request with an access token and a proof carrying `ath`. */
export const RFC9449_RESOURCE_EXAMPLE = {
  accessToken: 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU',
  proof:
    'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik' +
    'VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR' +
    'nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE' +
    'QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIj' +
    'oiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0Z' +
    'WRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNF' +
    'c05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71E' +
    'OptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA',
  url: 'https://resource.example.org/protectedresource',
  iat: 1562262618,
  ath: 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
} as const;
