import { Body, Controller, Header, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SampleConfig } from '../sample.config.js';
import { sampleClients, type SampleClient } from './clients.js';
import { KeysService } from './keys.service.js';
import { oauthError } from './oauth-error.js';
import { singleParams } from './params.js';
import { authenticateClient, withBasicChallenge } from './client-credentials.js';

/** RFC 7662 introspection of the sample's access tokens, for demo-service. */
@Controller('introspect')
export class IntrospectController {
  private readonly clients: Map<string, SampleClient>;

  constructor(
    config: SampleConfig,
    private readonly keys: KeysService,
  ) {
    this.clients = sampleClients(config);
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async introspect(
    @Body() input: unknown,
    @Res({ passthrough: true }) res: Response,
    @Headers('authorization') authorization?: string,
  ) {
    const body = singleParams(input);
    const client = withBasicChallenge(res, () => authenticateClient(this.clients, body, authorization));
    if (client.secret === undefined)
      throw oauthError('invalid_client', 'Introspection needs client authentication', 401);
    const claims = await this.keys.verifyAccessToken(body.token ?? '');
    if (!claims) return { active: false };
    const cnf = claims.cnf as { jkt?: string } | undefined;
    return {
      active: true,
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud, // RFC 7662 §2.2: what a resource server's introspection `audience` is checked against
      token_type: cnf?.jkt ? 'DPoP' : 'Bearer',
      ...(cnf?.jkt ? { cnf: { jkt: cnf.jkt } } : {}),
    };
  }
}
