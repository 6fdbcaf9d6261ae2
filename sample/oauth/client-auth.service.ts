import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { decodeJwt, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { DataSource } from 'typeorm';
import { SampleConfig } from '../sample.config.js';
import { FAPI_ALGORITHMS, sampleClients, type SampleClient } from './clients.js';
import { sha256 } from './keys.service.js';
import { UsedClientAssertion } from './oauth.entities.js';
import { oauthError } from './oauth-error.js';
import { authenticateClient, InvalidClientException, withBasicChallenge } from './client-credentials.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Longest accepted client assertion, and its longest remaining lifetime (which bounds the jti records). */
const MAX_ASSERTION_LENGTH = 4096;
const MAX_ASSERTION_LIFETIME = 300;

const invalidClient = (description: string) => new InvalidClientException(description, false);

/** A primary-key clash, as SQLite, PostgreSQL and MySQL/MariaDB drivers report it (under TypeORM's QueryFailedError). */
function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = ((error as { driverError?: unknown })?.driverError ?? error ?? {}) as {
    code?: unknown;
    errno?: unknown;
  };
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 || // MySQL/MariaDB
    (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) // better-sqlite3
  );
}

/**
 * Client authentication at the token and PAR endpoints (RFC 9126 §2: the same as at the
 * token endpoint): `none`, `client_secret_basic` / `client_secret_post`, and
 * `private_key_jwt` (RFC 7523) for `demo-fapi`: an ES256/PS256 assertion signed by the
 * client's registered key with `iss` = `sub` = the client id, `aud` the issuer, an `exp`
 * at most 5 minutes ahead and a `jti` that is accepted once.
 */
@Injectable()
export class ClientAuthService {
  private readonly clients: Map<string, SampleClient>;
  private readonly keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(
    private readonly config: SampleConfig,
    private readonly dataSource: DataSource,
  ) {
    this.clients = sampleClients(config);
  }

  async authenticate(
    body: Record<string, string | undefined>,
    authorization: string | undefined,
    res: Response,
  ): Promise<SampleClient> {
    if (body.client_assertion === undefined && body.client_assertion_type === undefined) {
      return withBasicChallenge(res, () => authenticateClient(this.clients, body, authorization));
    }
    if (authorization !== undefined || body.client_secret !== undefined) {
      throw invalidClient('Use one client authentication method');
    }
    return this.privateKeyJwt(body);
  }

  private async privateKeyJwt(body: Record<string, string | undefined>): Promise<SampleClient> {
    const assertion = body.client_assertion ?? '';
    if (
      body.client_assertion_type !== JWT_BEARER ||
      assertion.length === 0 ||
      assertion.length > MAX_ASSERTION_LENGTH
    ) {
      throw invalidClient('Malformed client assertion');
    }
    let sub: unknown;
    try {
      sub = decodeJwt(assertion).sub;
    } catch {
      throw invalidClient('Malformed client assertion');
    }
    const client = typeof sub === 'string' ? this.clients.get(sub) : undefined;
    if (!client?.assertionKey || (body.client_id !== undefined && body.client_id !== client.id)) {
      throw invalidClient('Client authentication failed');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, await this.key(client), {
        algorithms: client.algorithms ?? FAPI_ALGORITHMS,
        issuer: client.id,
        subject: client.id,
        audience: this.config.issuer,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch {
      throw invalidClient('Client authentication failed');
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.jti !== 'string' || payload.jti.length > 256 || payload.exp! > now + MAX_ASSERTION_LIFETIME) {
      throw invalidClient('Client authentication failed');
    }
    await this.useOnce(client.id, payload.jti, payload.exp!);
    return client;
  }

  /**
   * Records the assertion's jti with one insert (the primary key refuses a second use, even a concurrent one;
   * never a read then a write). A database that cannot answer is a 503, not a verdict on the client.
   */
  private async useOnce(clientId: string, jti: string, exp: number): Promise<void> {
    const jtiHash = sha256(`${clientId} ${jti}`);
    try {
      await this.dataSource.getRepository(UsedClientAssertion).insert({ jtiHash, expiresAt: String(exp * 1000) });
    } catch (error) {
      if (isUniqueViolation(error)) throw invalidClient('The client assertion was already used');
      throw oauthError('temporarily_unavailable', 'The client assertion cannot be recorded now; try again later', 503);
    }
  }

  private key(client: SampleClient): Promise<CryptoKey | Uint8Array> {
    let key = this.keys.get(client.id);
    if (!key) {
      key = importJWK(client.assertionKey!, client.assertionKey!.alg);
      this.keys.set(client.id, key);
    }
    return key;
  }
}
