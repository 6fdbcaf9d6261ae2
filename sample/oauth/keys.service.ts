import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { DataSource } from 'typeorm';
import { SampleConfig } from '../sample.config.js';
import { SigningKey } from './oauth.entities.js';

/** The AS's ES256 signing key (made once, kept in the database) and the tokens it signs. */
@Injectable()
export class KeysService {
  private privateKey!: CryptoKey;
  private publicKey!: CryptoKey;
  private kid!: string;
  publicJwk!: JWK;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: SampleConfig,
  ) {}

  /** Loads the signing key, making and storing one the first time. */
  static async load(dataSource: DataSource, config: SampleConfig): Promise<KeysService> {
    const service = new KeysService(dataSource, config);
    await service.init();
    return service;
  }

  private async init(): Promise<void> {
    const keys = this.dataSource.getRepository(SigningKey);
    let stored = (await keys.find({ take: 1 }))[0];
    if (!stored) {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      stored = keys.create({ kid: randomUUID(), privateJwk: JSON.stringify(await exportJWK(privateKey)) });
      await keys.save(stored);
    }
    const jwk = JSON.parse(stored.privateJwk) as JWK;
    this.kid = stored.kid;
    this.privateKey = (await importJWK(jwk, 'ES256')) as CryptoKey;
    const { kty, crv, x, y } = jwk;
    this.publicJwk = { kty, crv, x, y, kid: this.kid, alg: 'ES256', use: 'sig' };
    this.publicKey = (await importJWK({ kty, crv, x, y }, 'ES256')) as CryptoKey;
  }

  sign(claims: JWTPayload, typ: 'at+jwt' | 'JWT', lifetimeSeconds: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ })
      .setIssuer(this.config.issuer)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.privateKey);
  }

  /** Verifies an access token this AS issued (for introspection). */
  async verifyAccessToken(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { issuer: this.config.issuer, typ: 'at+jwt' });
      return payload;
    } catch {
      return undefined;
    }
  }
}

/** OpenID Connect at_hash / c_hash: base64url of the left half of SHA-256. */
export function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
