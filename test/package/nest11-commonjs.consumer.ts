import { describe, expect, it } from 'vitest';
import { runInPackedApp } from '../helpers/packed-app.js';

/**
 * A CommonJS Nest 11 app installs the packed library (npm pack, not a link:
 * a link would resolve a second copy of @nestjs/*) and uses it with require(),
 * which loads the CommonJS build (dist/cjs). test/consumers/ has the full matrix.
 */

const APP = String.raw`
'use strict';
require('reflect-metadata');
const { Inject, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { generateKeyPairSync, randomUUID, sign } = require('node:crypto');
const dpop = require('nestjs-dpop');

class Probe {
  constructor(verifier) { this.verifier = verifier; }
}
Inject(dpop.DpopVerifierService)(Probe, undefined, 0);
Injectable()(Probe);
class AppModule {}
Module({ imports: [dpop.DpopModule.forRoot({ maxProofAge: 120 })], providers: [Probe] })(AppModule);

(async () => {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicKey.export({ format: 'jwk' }) }) + '.' +
    b64({ jti: randomUUID(), htm: 'GET', htu: 'https://api.example.com/x', iat: Math.floor(Date.now() / 1000) });
  const proof = input + '.' + sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const result = await app.get(Probe).verifier.verify(proof, { method: 'GET', url: 'https://api.example.com/x' });
  const replay = await app.get(Probe).verifier.verify(proof, { method: 'GET', url: 'https://api.example.com/x' }).catch((e) => e.check);
  const libDir = require('node:path').dirname(require.resolve('nestjs-dpop'));
  console.log(JSON.stringify({
    nest: require('@nestjs/core/package.json').version,
    jkt: result.jkt,
    replay,
    oneCopyOfNest: require.resolve('@nestjs/common', { paths: [libDir] }) === require.resolve('@nestjs/common'),
    build: libDir.endsWith(require('node:path').join('dist', 'cjs')) ? 'cjs' : libDir,
  }));
  await app.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('CommonJS Nest 11 app', () => {
  it('requires the packed library and verifies a proof with one copy of Nest', () => {
    const result = runInPackedApp({
      type: 'commonjs',
      dependencies: {
        '@nestjs/common': '^11.1.0',
        '@nestjs/core': '^11.1.0',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.0',
      },
      file: 'app.js',
      source: APP,
    });
    expect(result.nest).toMatch(/^11\./);
    expect(result.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.replay).toBe('replay');
    expect(result.oneCopyOfNest).toBe(true);
    expect(result.build).toBe('cjs'); // require() gets the CommonJS build
  });
});
