import { Body, Controller, Header, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  AuthorizationRequestError,
  Dpop,
  DpopParEndpoint,
  DpopParJkt,
  DpopProofContext,
  parseResponseType,
} from '../../lib/index.js';
import { ClientAuthService } from './client-auth.service.js';
import type { SampleClient } from './clients.js';
import { sha256 } from './keys.service.js';
import { PushedAuthorizationRequest } from './oauth.entities.js';
import { oauthError } from './oauth-error.js';
import { singleParams } from './params.js';

/** RFC 9126 §2.2: the prefix of the request_uri the PAR endpoint hands out. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** How long a request_uri may be used (once), in seconds. */
export const REQUEST_URI_LIFETIME = 60;
/** The client authentication parameters: not authorization parameters, never stored. */
const CLIENT_AUTHENTICATION = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
/** Upper bound of the stored authorization parameters (JSON). */
const MAX_PARAMS_LENGTH = 8192;

/**
 * The pushed authorization request endpoint (RFC 9126) with DPoP (RFC 9449 §10.1):
 * `@DpopParEndpoint()` checks the optional proof, the nonce policy and `dpop_jkt`; the
 * handler authenticates the client as the token endpoint does, checks the request
 * enough to refuse it now rather than at /authorize, and stores it with the key
 * thumbprint the code will be bound to.
 */
@Controller('par')
export class ParController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly dataSource: DataSource,
  ) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @DpopParEndpoint()
  async par(
    @Body() input: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @DpopParJkt() jkt: string | undefined,
    @Dpop() dpop?: DpopProofContext,
  ) {
    const body = singleParams(input);
    const client = await this.clientAuth.authenticate(body, authorization, res);
    if (dpop && client.algorithms && !client.algorithms.includes(dpop.proofHeader.alg)) {
      throw oauthError('invalid_dpop_proof', 'This client signs DPoP proofs with ES256 or PS256 only');
    }
    const params = Object.fromEntries(Object.entries(body).filter(([name]) => !CLIENT_AUTHENTICATION.includes(name)));
    checkAuthorizationRequest(client, params);
    const json = JSON.stringify(params);
    if (json.length > MAX_PARAMS_LENGTH) throw oauthError('invalid_request', 'The authorization request is too large');

    const requestUri = REQUEST_URI_PREFIX + randomBytes(32).toString('base64url');
    await this.dataSource.getRepository(PushedAuthorizationRequest).insert({
      requestUriHash: sha256(requestUri),
      clientId: client.id,
      params: json,
      dpopJkt: jkt ?? null,
      expiresAt: String(Date.now() + REQUEST_URI_LIFETIME * 1000),
    });
    return { request_uri: requestUri, expires_in: REQUEST_URI_LIFETIME };
  }
}

/** What can be refused at once (RFC 9126 §2.3); /authorize checks the rest when the request is used. */
function checkAuthorizationRequest(client: SampleClient, params: Record<string, string | undefined>): void {
  if (!client.grants.includes('authorization_code')) {
    throw oauthError('unauthorized_client', 'This client may not make authorization requests');
  }
  if (!client.redirectUris.includes(params.redirect_uri ?? '')) {
    throw oauthError('invalid_request', 'redirect_uri is missing or not registered');
  }
  let parsed: ReturnType<typeof parseResponseType>;
  try {
    parsed = parseResponseType(params.response_type);
  } catch (error) {
    if (error instanceof AuthorizationRequestError) throw oauthError(error.error, error.message);
    throw error;
  }
  const types = parsed.values;
  if (client.responseTypes && (parsed.post || !client.responseTypes.includes(parsed.name))) {
    throw oauthError('unsupported_response_type', 'This client may only use response_type code');
  }
  if (types.includes('code') && params.code_challenge_method !== 'S256') {
    throw oauthError('invalid_request', 'PKCE with code_challenge_method S256 is required');
  }
  if (types.includes('code') && !/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge ?? '')) {
    throw oauthError('invalid_request', 'code_challenge is malformed');
  }
}
