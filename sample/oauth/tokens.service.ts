import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SampleConfig } from '../sample.config.js';
import { halfHash, KeysService, sha256 } from './keys.service.js';
import { IssuedRefreshToken } from './oauth.entities.js';

export const ACCESS_TOKEN_LIFETIME = 300;
const REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;

export interface Grant {
  sub: string;
  clientId: string;
  scope: string;
  /** Thumbprint of the DPoP key the tokens are bound to. */
  jkt?: string;
}

/** Mints the sample's tokens: JWT access tokens (RFC 9068, cnf.jkt when bound), ID Tokens, refresh tokens. */
@Injectable()
export class TokensService {
  constructor(
    private readonly keys: KeysService,
    private readonly dataSource: DataSource,
    private readonly config: SampleConfig,
  ) {}

  accessToken(grant: Grant): Promise<string> {
    return this.keys.sign(
      {
        sub: grant.sub,
        aud: this.config.issuer,
        client_id: grant.clientId,
        scope: grant.scope,
        jti: randomBytes(16).toString('base64url'),
        ...(grant.jkt ? { cnf: { jkt: grant.jkt } } : {}),
      },
      'at+jwt',
      ACCESS_TOKEN_LIFETIME,
    );
  }

  /** An ID Token with at_hash / c_hash where an access token or a code travels with it. */
  idToken(grant: Grant, extra: { nonce?: string; accessToken?: string; code?: string }): Promise<string> {
    return this.keys.sign(
      {
        sub: grant.sub,
        aud: grant.clientId,
        auth_time: Math.floor(Date.now() / 1000),
        ...(extra.nonce ? { nonce: extra.nonce } : {}),
        ...(extra.accessToken ? { at_hash: halfHash(extra.accessToken) } : {}),
        ...(extra.code ? { c_hash: halfHash(extra.code) } : {}),
      },
      'JWT',
      ACCESS_TOKEN_LIFETIME,
    );
  }

  async refreshToken(grant: Grant): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.dataSource.getRepository(IssuedRefreshToken).insert({
      tokenHash: sha256(token),
      clientId: grant.clientId,
      sub: grant.sub,
      scope: grant.scope,
      expiresAt: String(Date.now() + REFRESH_TOKEN_LIFETIME * 1000),
    });
    return token;
  }

  /** Redeems a refresh token once (rotation): the used one is deleted. */
  async useRefreshToken(token: string, clientId: string): Promise<Grant | undefined> {
    const repository = this.dataSource.getRepository(IssuedRefreshToken);
    const row = await repository.findOneBy({ tokenHash: sha256(token) });
    if (!row || row.clientId !== clientId || Number(row.expiresAt) <= Date.now()) return undefined;
    const { affected } = await repository.delete({ tokenHash: row.tokenHash });
    if (affected === 0) return undefined; // used concurrently
    return { sub: row.sub, clientId: row.clientId, scope: row.scope };
  }
}
