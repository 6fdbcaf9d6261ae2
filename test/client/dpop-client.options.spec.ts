import { Test } from '@nestjs/testing';
import { exportJWK, generateKeyPair } from 'jose';
import { createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DpopClientConfigurationError,
  DpopClientModule,
  DpopHttpClient,
  DpopNonceCache,
  DpopProofSigner,
  dpopHtu,
  type DpopClientModuleOptions,
} from '../../lib/client/index.js';
import { challengeError } from '../../lib/client/dpop-challenge.util.js';

const valid: DpopClientModuleOptions = {
  issuer: 'https://as.example.com',
  clientId: 'svc',
  clientAuthentication: { method: 'client_secret_basic', clientSecret: 's3cret' },
};

async function boot(options: DpopClientModuleOptions) {
  const moduleRef = await Test.createTestingModule({ imports: [DpopClientModule.forRoot(options)] }).compile();
  return moduleRef.init();
}

describe('DpopClientModule options are checked at start-up', () => {
  it('boots with the minimal options and a generated non-extractable ES256 key (no network at start-up)', async () => {
    const app = await boot(valid);
    const client = app.get(DpopHttpClient);
    expect(client.jkt).toMatch(/^[\w-]{43}$/);
    expect(app.get(DpopProofSigner).alg).toBe('ES256');
    await app.close();
  });

  it('forRoot with isGlobal (an extra, not an option)', async () => {
    const app = await boot({ ...valid, isGlobal: true } as DpopClientModuleOptions);
    expect(app.get(DpopHttpClient)).toBeInstanceOf(DpopHttpClient);
    await app.close();
  });

  it('forRootAsync with a factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DpopClientModule.forRootAsync({ isGlobal: true, useFactory: async () => valid })],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get(DpopHttpClient)).toBeInstanceOf(DpopHttpClient);
    await app.close();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no endpoint', { issuer: undefined }, /"issuer".*"tokenEndpoint"/],
    ['http issuer', { issuer: 'http://as.example.com' }, /"issuer" must be an https: URL.*allowInsecureRequests/],
    ['relative issuer', { issuer: '/as' }, /"issuer" must be an absolute URL/],
    ['bad tokenEndpoint', { tokenEndpoint: 'nope' }, /"tokenEndpoint" must be an absolute URL/],
    ['no clientId', { clientId: '' }, /"clientId"/],
    ['no authentication', { clientAuthentication: undefined }, /"clientAuthentication" is required/],
    ['bad method', { clientAuthentication: { method: 'tls' } }, /"clientAuthentication.method"/],
    ['empty secret', { clientAuthentication: { method: 'client_secret_post', clientSecret: '' } }, /clientSecret/],
    ['bad alg', { key: { generate: 'HS256' } }, /"key.generate" must be one of ES256/],
    ['negative leeway', { refreshBeforeExpirySeconds: -1 }, /"refreshBeforeExpirySeconds" must be a number/],
    ['zero timeout', { authorizationServerTimeoutMs: 0 }, /"authorizationServerTimeoutMs"/],
    [
      'zero response limit',
      { maxTokenResponseBytes: 0 },
      /option "maxTokenResponseBytes" must be a number of at least 1 \(got number 0\)/,
    ],
    ['bad resource', { token: { resource: 'not a url' } }, /"token.resource"/],
    ['bad discovery', { discovery: 'webfinger' }, /"discovery"/],
    [
      'non-boolean redirect option',
      { followCrossOriginRedirects: 'yes' },
      /option "followCrossOriginRedirects" must be true or false/,
    ],
    [
      'unknown option (a typo)',
      { tokenEndpiont: 'https://as.example.com/token' },
      /option "tokenEndpiont" is not an option; known options are issuer/,
    ],
  ])('%s → DpopClientConfigurationError naming the option', async (_name, override, message) => {
    const error = await boot({ ...valid, ...override } as DpopClientModuleOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DpopClientConfigurationError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s3cret');
  });
});

describe('DPoP keys', () => {
  it('a supplied private JWK: the proof carries only its public members', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'secret-kid', alg: 'ES256', use: 'sig', ext: true };
    const signer = await DpopProofSigner.create({ alg: 'ES256', privateKey: jwk });
    expect(signer.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
  });

  it.each<[string, () => Promise<unknown>, RegExp]>([
    [
      'key of another type',
      async () => ({ alg: 'ES256', privateKey: (await generateKeyPair('EdDSA', { extractable: true })).privateKey }),
      /not a key for ES256/,
    ],
    [
      'wrong curve',
      async () => ({ alg: 'ES256', privateKey: (await generateKeyPair('ES384', { extractable: true })).privateKey }),
      /not a key for ES256/,
    ],
    [
      'short RSA key',
      async () => ({
        alg: 'RS256',
        privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
      }),
      /shorter than 2048 bits/,
    ],
    [
      'a public key as privateKey',
      async () => ({ alg: 'ES256', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }),
      /must be a private key/,
    ],
    [
      'garbage PEM',
      async () => ({ alg: 'ES256', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA' }),
      /could not be read/,
    ],
    [
      'publicJwk with d',
      async () => ({
        alg: 'ES256',
        publicJwk: await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey),
        sign: () => new Uint8Array(64),
      }),
      /remove the private member "d"/,
    ],
    [
      'a KMS callback that signs DER, not JWS',
      async () => {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return {
          alg: 'ES256',
          publicJwk: publicKey.export({ format: 'jwk' }),
          sign: (data: Uint8Array) => nodeSign('sha256', data, privateKey), // DER
        };
      },
      /does not verify with its public key/,
    ],
    [
      'a KMS callback for another key',
      async () => ({
        alg: 'ES256',
        publicJwk: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
        sign: (data: Uint8Array) =>
          nodeSign('sha256', data, {
            key: createPrivateKey(
              generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
            ),
            dsaEncoding: 'ieee-p1363',
          }),
      }),
      /does not verify with its public key/,
    ],
    [
      'a KMS callback that throws',
      async () => ({
        alg: 'ES256',
        publicJwk: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
        sign: () => Promise.reject(new Error('AccessDenied')),
      }),
      /could not sign at start-up/,
    ],
  ])('%s → refused at start-up', async (_name, key, message) => {
    const error = await boot({ ...valid, key: (await key()) as DpopClientModuleOptions['key'] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DpopClientConfigurationError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('helpers', () => {
  it('htu drops query, fragment and user info', () => {
    expect(dpopHtu('https://u:p@api.example.com:8443/a/b?x=1#f')).toBe('https://api.example.com:8443/a/b');
  });

  it('the nonce cache keys by origin, refuses malformed nonces and stays bounded', () => {
    const cache = new DpopNonceCache(2);
    cache.set('https://a.example/x', 'n1');
    expect(cache.get('https://a.example/other?q')).toBe('n1');
    cache.set('https://a.example/', 'bad nonce with spaces');
    expect(cache.get('https://a.example/')).toBe('n1');
    cache.set('https://b.example/', 'n2');
    cache.set('https://c.example/', 'n3');
    expect(cache.get('https://a.example/')).toBeUndefined();
    expect(cache.get('https://c.example/')).toBe('n3');
  });

  it.each([
    ['DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'use_dpop_nonce'],
    ['Bearer realm="api", DPoP algs="ES256 PS256", error="invalid_token"', 'invalid_token'],
    ['Bearer error="invalid_token"', 'invalid_token'],
    ['Bearer error="insufficient_scope", DPoP error="use_dpop_nonce"', 'use_dpop_nonce'],
    ['DPoP realm="a,b", error=invalid_token', 'invalid_token'],
    ['DPoP error_description="no error=here"', undefined],
    ['Basic realm="x"', undefined],
    ['', undefined],
  ])('challenge %j → %s', (header, error) => {
    expect(challengeError(header)).toBe(error);
  });
});
