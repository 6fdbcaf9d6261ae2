import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A CommonJS Nest 11 app installs the packed library (npm pack, not a link:
 * a link would resolve a second copy of @nestjs/*) and uses it with require().
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'nestjs-dpop-cjs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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
  }));
  await app.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('CommonJS Nest 11 app', () => {
  it('requires the packed library and verifies a proof with one copy of Nest', () => {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))!;
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({
        name: 'cjs-nest11-app',
        private: true,
        type: 'commonjs',
        dependencies: {
          '@nestjs/common': '^11.1.0',
          '@nestjs/core': '^11.1.0',
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.0',
          'nestjs-dpop': `file:./${tarball}`,
        },
      }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: work,
      stdio: 'pipe',
    });
    writeFileSync(join(work, 'app.js'), APP);
    const out = execFileSync(process.execPath, ['--no-warnings', 'app.js'], { cwd: work, encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.nest).toMatch(/^11\./);
    expect(result.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.replay).toBe('replay');
    expect(result.oneCopyOfNest).toBe(true);
  });
});
