import { Body, Controller, Header, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { assertDpopJkt, Dpop, DpopProofContext, DpopTokenEndpoint } from '../../lib/index.js';
import { SampleConfig } from '../sample.config.js';
import { sampleClients, type SampleClient } from './clients.js';
import { sha256 } from './keys.service.js';
import { ClientAuthService } from './client-auth.service.js';
import { AuthorizationCode } from './oauth.entities.js';
import { oauthError } from './oauth-error.js';
import { singleParams } from './params.js';
import { ACCESS_TOKEN_LIFETIME, TokensService, type Grant } from './tokens.service.js';

type TokenRequest = Record<string, string | undefined>;

/** The token endpoint: authorization_code (PKCE), refresh_token (rotating), client_credentials. */
@Controller('token')
export class TokenController {
  private readonly clients: Map<string, SampleClient>;

  constructor(
    config: SampleConfig,
    private readonly tokens: TokensService,
    private readonly dataSource: DataSource,
    private readonly clientAuth: ClientAuthService,
  ) {
    this.clients = sampleClients(config);
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @DpopTokenEndpoint()
  async token(
    @Body() input: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @Dpop() dpop?: DpopProofContext,
  ) {
    const body = singleParams(input);
    const client = await this.clientAuth.authenticate(body, authorization, res);
    const grant = body.grant_type ?? '';
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant)) {
      throw oauthError('unsupported_grant_type', 'Supported: authorization_code, refresh_token, client_credentials');
    }
    if (!client.grants.includes(grant))
      throw oauthError('unauthorized_client', 'This client may not use this grant type');
    if (client.dpopBound && !dpop) throw oauthError('invalid_dpop_proof', 'This client must send a DPoP proof');
    if (dpop && client.algorithms && !client.algorithms.includes(dpop.proofHeader.alg)) {
      throw oauthError('invalid_dpop_proof', 'This client signs DPoP proofs with ES256 or PS256 only');
    }
    switch (grant) {
      case 'authorization_code':
        return this.authorizationCode(client, body, dpop);
      case 'refresh_token':
        return this.refreshToken(client, body, dpop);
      default: {
        const scope = body.scope ?? 'api';
        if (scope.split(' ').some((value) => value !== 'api')) throw oauthError('invalid_scope', 'Only the api scope');
        return this.respond({ sub: client.id, clientId: client.id, scope, jkt: dpop?.jkt }, false);
      }
    }
  }

  private async authorizationCode(client: SampleClient, body: TokenRequest, dpop?: DpopProofContext) {
    const codes = this.dataSource.getRepository(AuthorizationCode);
    const code = await codes.findOneBy({ codeHash: sha256(body.code ?? '') });
    if (!code || (await codes.delete({ codeHash: code.codeHash })).affected === 0) {
      throw oauthError('invalid_grant', 'The code is invalid or was used');
    }
    if (code.clientId !== client.id || code.redirectUri !== body.redirect_uri || Number(code.expiresAt) <= Date.now()) {
      throw oauthError('invalid_grant', 'The code is invalid or was used');
    }
    const challenge = createHash('sha256')
      .update(body.code_verifier ?? '')
      .digest('base64url');
    if (!body.code_verifier || challenge !== code.codeChallenge)
      throw oauthError('invalid_grant', 'PKCE verification failed');
    assertDpopJkt(code.dpopJkt ?? undefined, dpop?.jkt);
    const grant = { sub: 'alice', clientId: client.id, scope: code.scope, jkt: dpop?.jkt };
    return this.respond(grant, true, code.scope.split(' ').includes('openid') ? (code.nonce ?? undefined) : null);
  }

  private async refreshToken(client: SampleClient, body: TokenRequest, dpop?: DpopProofContext) {
    // DpopTokenInterceptor has already refused a bound refresh token without a proof by its key.
    const grant = await this.tokens.useRefreshToken(body.refresh_token ?? '', client.id);
    if (!grant) throw oauthError('invalid_grant', 'The refresh token is invalid or was used');
    return this.respond({ ...grant, jkt: dpop?.jkt }, true);
  }

  /** @param nonce null: no ID Token; a string or undefined: an ID Token (with that nonce). */
  private async respond(grant: Grant, refresh: boolean, nonce: string | undefined | null = null) {
    const accessToken = await this.tokens.accessToken(grant);
    return {
      access_token: accessToken,
      token_type: 'Bearer', // DpopTokenInterceptor makes it "DPoP" when the token is bound
      expires_in: ACCESS_TOKEN_LIFETIME,
      scope: grant.scope,
      ...(refresh ? { refresh_token: await this.tokens.refreshToken(grant) } : {}),
      ...(nonce !== null ? { id_token: await this.tokens.idToken(grant, { nonce, accessToken }) } : {}),
    };
  }
}
