import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { resolveTokenEndpointOptions } from '../../lib/token-endpoint/resolve-token-endpoint-options.js';
import {
  DpopBound,
  DpopTokenEndpoint,
  getDpopOptionsToken,
  type DpopBoundOptions,
  type DpopTokenEndpointOptions,
  type ResolvedDpopOptions,
  DpopConfigurationError,
  DpopModule,
  DpopNonceService,
  DpopStore,
  DpopVerifierService,
  MemoryDpopStore,
  type DpopModuleOptions,
} from '../../lib/index.js';
import { makeKey, signProof } from '../helpers/proofs.js';

/** A user's provider that gets the library's services by constructor type only. */
@Injectable()
class OrdersService {
  constructor(
    readonly verifier: DpopVerifierService,
    readonly nonces: DpopNonceService,
  ) {}
}

@Injectable()
class AppConfig {
  readonly maxProofAge = 120;
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

class DpopOptionsFactory {
  createDpopOptions(): DpopModuleOptions {
    return { maxClockSkew: 5, requireAth: false };
  }
}

describe('DpopModule', () => {
  it('canary: a provider injected by constructor type resolves (decorator metadata works under Vitest)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DpopModule.forRoot()],
      providers: [OrdersService],
    }).compile();
    const orders = moduleRef.get(OrdersService);
    expect(orders.verifier).toBeInstanceOf(DpopVerifierService);
    expect(orders.nonces).toBeInstanceOf(DpopNonceService);
    expect(orders.verifier).toBe(moduleRef.get(DpopVerifierService));
  });

  it('forRoot() works with defaults and a memory store, and verifies a proof', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot()] }).compile();
    expect(moduleRef.get(DpopStore)).toBeInstanceOf(MemoryDpopStore);
    const proof = await signProof(await makeKey('ES256'), {
      htm: 'GET',
      htu: 'https://api.example.com/x',
      iat: Math.floor(Date.now() / 1000),
    });
    await expect(
      moduleRef.get(DpopVerifierService).verify(proof, { method: 'GET', url: 'https://api.example.com/x' }),
    ).resolves.toHaveProperty('jkt');
  });

  it('forRoot() uses the store it is given', async () => {
    const store = new MemoryDpopStore({ maxEntries: 10 });
    const moduleRef = await Test.createTestingModule({ imports: [DpopModule.forRoot({ store })] }).compile();
    expect(moduleRef.get(DpopStore)).toBe(store);
  });

  it('forRootAsync({ imports, inject, useFactory }) builds options from another provider', async () => {
    let seen: AppConfig | undefined;
    const moduleRef = await Test.createTestingModule({
      imports: [
        DpopModule.forRootAsync({
          imports: [AppConfigModule],
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            seen = config;
            return { maxProofAge: config.maxProofAge };
          },
        }),
      ],
    }).compile();
    expect(seen).toBeInstanceOf(AppConfig);
    const verifier = moduleRef.get(DpopVerifierService);
    const key = await makeKey('ES256');
    const iat = Math.floor(Date.now() / 1000) - 100; // too old for the default 60 s, fine for 120 s
    await expect(
      verifier.verify(await signProof(key, { htm: 'GET', htu: 'https://a.example/', iat }), {
        method: 'GET',
        url: 'https://a.example/',
      }),
    ).resolves.toBeDefined();
  });

  it('forRootAsync({ useClass }) calls createDpopOptions()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DpopModule.forRootAsync({ useClass: DpopOptionsFactory })],
    }).compile();
    const verifier = moduleRef.get(DpopVerifierService);
    const key = await makeKey('ES256');
    const base = { htm: 'GET', htu: 'https://a.example/' };
    const ahead = await signProof(key, { ...base, iat: Math.floor(Date.now() / 1000) + 20 });
    await expect(verifier.verify(ahead, { method: 'GET', url: base.htu })).rejects.toMatchObject({ check: 'iat' });
    const noAth = await signProof(key, { ...base, iat: Math.floor(Date.now() / 1000) });
    await expect(verifier.verify(noAth, { method: 'GET', url: base.htu, accessToken: 't' })).resolves.toBeDefined();
  });

  it('isGlobal: true makes the services visible to modules that do not import DpopModule', async () => {
    @Module({ providers: [OrdersService], exports: [OrdersService] })
    class OrdersModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [DpopModule.forRoot({ isGlobal: true }), OrdersModule],
    }).compile();
    expect(moduleRef.get(OrdersService).verifier).toBeInstanceOf(DpopVerifierService);
  });

  it('without isGlobal, a module that does not import DpopModule cannot resolve its services', async () => {
    @Module({ providers: [OrdersService] })
    class OrdersModule {}
    await expect(Test.createTestingModule({ imports: [DpopModule.forRoot(), OrdersModule] }).compile()).rejects.toThrow(
      /DpopVerifierService/,
    );
  });

  it.each([
    [{ maxProofAge: -5 }, /"maxProofAge" must be an integer from 1 to 86400 \(got number -5\)/],
    [{ maxProofAge: '60' }, /"maxProofAge" must be an integer/],
    [{ maxClockSkew: 1.5 }, /"maxClockSkew"/],
    [{ maxProofLength: 10 }, /"maxProofLength" must be an integer from 256/],
    [{ maxJtiLength: 0 }, /"maxJtiLength"/],
    [{ keyCacheSize: -1 }, /"keyCacheSize"/],
    [{ requireAth: 'yes' }, /"requireAth" must be true or false/],
    [{ algorithms: [] }, /"algorithms" must be a non-empty array/],
    [{ algorithms: ['HS256'] }, /"algorithms" contains "HS256".*asymmetric signature algorithm/],
    [{ algorithms: ['none'] }, /"algorithms" contains "none"/],
    [{ algorithms: ['ES256K'] }, /"algorithms" contains "ES256K", which is not one of ES256/],
    [{ nonce: { secret: 'short' } }, /"nonce.secret" must be at least 32 bytes long \(got 5\)/],
    [{ nonce: { stepSeconds: 0 } }, /"nonce.stepSeconds"/],
    [{ nonce: { acceptedSteps: 0 } }, /"nonce.acceptedSteps"/],
    [{ nonce: { requried: true } }, /"nonce.requried" is not an option; known options are nonce.required/],
    [{ nonce: true }, /"nonce" must be an object/],
    [{ maxProofAgeSeconds: 60 }, /"maxProofAgeSeconds" is not an option; known options are algorithms/],
    [{ store: {} }, /"store" must be a DpopStore instance/],
    [{ now: 5 }, /"now" must be a function/],
    [{ accessToken: { type: 'jwt', audience: 'a', jwksUri: 'https://as/jwks' } }, /"accessToken.issuer" is required/],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a' } },
      /"accessToken.jwksUri" or accessToken.keys must be given/,
    ],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a', jwksUri: 'ftp://x/' } },
      /"accessToken.jwksUri" must be an absolute https or http URL/,
    ],
    [
      { accessToken: { type: 'introspection', endpoint: 'https://as/i', clientId: 'c' } },
      /"accessToken.clientSecret" must be a non-empty string/,
    ],
    [
      { accessToken: { type: 'introspection', endpoint: 'https://as/i', clientId: 'c', clientSecret: 's' } },
      /"accessToken.audience" is required for introspection/,
    ],
    [
      {
        accessToken: {
          type: 'introspection',
          endpoint: 'https://as/i',
          clientId: 'c',
          clientSecret: 's',
          audience: [],
        },
      },
      /"accessToken.audience" must be a non-empty string or a non-empty array of them \(got an array\)/,
    ],
    [
      {
        accessToken: {
          type: 'introspection',
          endpoint: 'https://as/i',
          clientId: 'c',
          clientSecret: 's',
          audience: true,
        },
      },
      /"accessToken.audience" must be a non-empty string/,
    ],
    [
      {
        accessToken: {
          type: 'introspection',
          endpoint: 'https://as/i',
          clientId: 'c',
          clientSecret: 's',
          audience: 'a',
          issuer: [''],
        },
      },
      /"accessToken.issuer" must be a non-empty string or a non-empty array of them/,
    ],
    [
      {
        accessToken: {
          type: 'introspection',
          endpoint: 'https://as/i',
          clientId: 'c',
          clientSecret: 's',
          audience: 'a',
          cacheSeconds: -1,
        },
      },
      /"accessToken.cacheSeconds" must be an integer from 0/,
    ],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a', keys: [{}], profile: 'rfc7519' } },
      /"accessToken.profile" must be 'rfc9068' \(got "rfc7519"\)/,
    ],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a', keys: [{}], profile: 'rfc9068', typ: 'JWT' } },
      /"accessToken.typ" must be left out or be 'at\+jwt' with profile 'rfc9068'/,
    ],
    [{ accessToken: { type: 'custom' } }, /"accessToken.verify" must be a function/],
    [{ accessToken: { type: 'saml' } }, /"accessToken.type" must be 'jwt', 'introspection' or 'custom'/],
    [{ publicUrl: 'https://api.example.com/v1?x=1' }, /"publicUrl" must have no query/],
    [{ publicUrl: 'api.example.com' }, /"publicUrl" must be an absolute https or http URL/],
    [{ trustProxy: 1 }, /"trustProxy" must be true or false/],
    [{ jku: { allowedHosts: 'a.example' } }, /"jku.allowedHosts" must be an array/],
    [{ resolveKid: {} }, /"resolveKid" must be a function/],
    [{ allowedHosts: 'api.example.com' }, /"allowedHosts" must be a non-empty array of host names/],
    [{ allowedHosts: [] }, /"allowedHosts" must be a non-empty array/],
    [
      { allowedHosts: ['api.example.com/v1'] },
      /"allowedHosts" contains "api.example.com\/v1", which is not a host name/,
    ],
    [{ allowedHosts: ['a@b'] }, /"allowedHosts" contains "a@b"/],
    [{ allowedHosts: ['host:99999'] }, /"allowedHosts" contains "host:99999"/],
    [{ protectAllRoutes: 'yes' }, /"protectAllRoutes" must be true or false/],
    [{ accessTokenCache: { maxEntrys: 5 } }, /"accessTokenCache.maxEntrys" is not an option/],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a', keys: [{}], clockTolerance: -1 } },
      /"accessToken.clockTolerance" must be an integer from 0/,
    ],
    [
      { accessToken: { type: 'jwt', issuer: 'i', audience: 'a', keys: [{}], algorithms: ['HS256'] } },
      /"accessToken.algorithms" contains "HS256"/,
    ],
    [
      {
        accessToken: {
          type: 'introspection',
          endpoint: 'https://as/i',
          clientId: 'c',
          clientSecret: 's',
          audience: 'a',
          maxBytes: 1,
        },
      },
      /"accessToken.maxBytes" must be an integer from 256/,
    ],
    [{ jku: { allowedHosts: ['a.example'], timeoutMs: 0 } }, /"jku.timeoutMs" must be an integer from 1/],
  ])('a wrong option fails the boot with a message naming it: %j', async (options, message) => {
    const boot = Test.createTestingModule({
      imports: [DpopModule.forRoot(options as unknown as DpopModuleOptions)],
    }).compile();
    await expect(boot).rejects.toBeInstanceOf(DpopConfigurationError);
    await expect(
      Test.createTestingModule({
        imports: [DpopModule.forRootAsync({ useFactory: () => options as unknown as DpopModuleOptions })],
      }).compile(),
    ).rejects.toThrow(message);
  });

  it('resolves nested options once, fully defaulted and read-only', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DpopModule.forRoot({
          accessToken: {
            type: 'introspection',
            endpoint: 'https://as.example/i',
            clientId: 'c',
            clientSecret: 's',
            audience: ['https://api.example'],
          },
          jku: { allowedHosts: ['Keys.Example'] },
          allowedHosts: ['API.example.com', 'localhost:3000'],
        }),
      ],
    }).compile();
    const options = moduleRef.get<ResolvedDpopOptions>(getDpopOptionsToken());
    expect(options.accessToken).toMatchObject({
      type: 'introspection',
      audience: ['https://api.example'],
      timeoutMs: 3000,
      maxBytes: 65_536,
      cacheSeconds: 0,
    });
    expect(options.jku).toMatchObject({
      allowedHosts: ['keys.example'],
      timeoutMs: 3000,
      maxBytes: 65_536,
      cacheSeconds: 300,
    });
    expect(options.allowedHosts).toEqual(['api.example.com', 'localhost:3000']);
    expect(options.memoryStore.maxEntries).toBe(100_000);
    expect(Object.isFrozen(options) && Object.isFrozen(options.nonce) && Object.isFrozen(options.accessToken)).toBe(
      true,
    );
  });
});

describe('@DpopTokenEndpoint() options', () => {
  it.each([
    [{ bindRefreshTokens: 'some' }, /"bindRefreshTokens" must be 'public' or 'all'/],
    [{ refreshTokenLifetime: 0 }, /"refreshTokenLifetime" must be an integer from 1 to 315360000 \(got number 0\)/],
    [{ requireProof: 'yes' }, /"requireProof" must be true or false/],
    [{ requireNonse: true }, /"requireNonse" is not an option; known options are requireNonce/],
  ])('a wrong option fails at start-up, naming it: %j', (options, message) => {
    expect(() => DpopTokenEndpoint(options as DpopTokenEndpointOptions)).toThrow(message);
  });
});

describe('one spelling per level: requireNonce', () => {
  it('the 0.1 name nonce is an unknown option like any other', () => {
    expect(() => DpopTokenEndpoint({ nonce: false } as DpopTokenEndpointOptions)).toThrow(
      /"nonce" is not an option; known options are requireNonce/,
    );
    expect(() => DpopBound({ nonce: true } as DpopBoundOptions)).toThrow(
      new DpopConfigurationError(
        '@DpopBound() option "nonce" is not an option; known options are allowBearer, requireNonce, scopes.',
        'nonce',
      ),
    );
    expect(() => DpopBound({ allowBearer: 'yes' } as unknown as DpopBoundOptions)).toThrow(
      '@DpopBound() option "allowBearer" must be true or false (got "yes").',
    );
    expect(resolveTokenEndpointOptions({ requireNonce: true }).requireNonce).toBe(true);
  });
});
