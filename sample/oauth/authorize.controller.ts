import { Controller, Get, HttpException, Query } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  AuthorizationRequestError,
  AuthorizationResponseEndpoint,
  parseDpopJkt,
  parseResponseType,
  resolveResponseMode,
  type AuthorizationResponse,
  type ResponseMode,
} from '../../lib/index.js';
import { SampleConfig } from '../sample.config.js';
import { sampleClients, type SampleClient } from './clients.js';
import { sha256 } from './keys.service.js';
import { REPEATED_PARAMETER } from './params.js';
import { AuthorizationCode, PushedAuthorizationRequest } from './oauth.entities.js';
import { REQUEST_URI_PREFIX } from './par.controller.js';
import { ACCESS_TOKEN_LIFETIME, TokensService } from './tokens.service.js';

type AuthorizeQuery = Record<string, string | undefined>;
/** A pushed request being used: the thumbprint its code is bound to (RFC 9449 §10.1). */
type Pushed = { dpopJkt: string | undefined };

const badRequest = (error: string, description: string) =>
  new HttpException({ error, error_description: description }, 400);

/**
 * The authorization endpoint: approves the demo user alice at once and
 * answers with every response type and mode of the contract.
 */
@Controller('authorize')
export class AuthorizeController {
  private readonly clients: Map<string, SampleClient>;

  constructor(
    private readonly config: SampleConfig,
    private readonly tokens: TokensService,
    private readonly dataSource: DataSource,
  ) {
    this.clients = sampleClients(config);
  }

  @Get()
  @AuthorizationResponseEndpoint()
  async authorize(@Query() input: unknown): Promise<AuthorizationResponse> {
    let query: AuthorizeQuery = {};
    for (const [name, value] of Object.entries((input ?? {}) as Record<string, unknown>)) {
      query[name] = typeof value === 'string' ? value : undefined; // a repeated parameter counts as invalid below
    }
    let repeated = Object.entries((input ?? {}) as Record<string, unknown>).find(([, v]) => typeof v !== 'string');
    let pushed: Pushed | undefined;
    if ('request_uri' in query) {
      if (repeated) throw badRequest('invalid_request', REPEATED_PARAMETER);
      ({ query, pushed } = await this.usePushedRequest(query));
      repeated = undefined;
    }
    const client = this.clients.get(query.client_id ?? '');
    const redirectUri = query.redirect_uri ?? '';
    // Without a known client and one of its redirect URIs, nothing may go back: a 400 page.
    if (!client || !client.redirectUris.includes(redirectUri)) {
      throw badRequest('invalid_request', 'Unknown client or redirect_uri');
    }
    const post = typeof query.response_type === 'string' && query.response_type.split(' ').includes('x_post');
    let mode: ResponseMode = post ? 'form_post' : 'query';
    const reply = (params: Record<string, string | undefined>): AuthorizationResponse => ({
      redirectUri,
      responseMode: mode,
      params: { ...params, state: query.state, iss: this.config.issuer },
    });
    try {
      if (repeated) throw new AuthorizationRequestError('invalid_request', REPEATED_PARAMETER);
      if (client.requirePushedAuthorizationRequests && !pushed) {
        throw new AuthorizationRequestError('invalid_request', 'This client must push its authorization requests');
      }
      const type = parseResponseType(query.response_type);
      mode = resolveResponseMode(type, query.response_mode);
      return reply(await this.issue(client, redirectUri, type.values, query, pushed));
    } catch (error) {
      if (!(error instanceof AuthorizationRequestError) && !(error instanceof HttpException)) throw error;
      const body = error instanceof HttpException ? (error.getResponse() as { error?: string }) : undefined;
      return reply({
        error: body?.error ?? (error as AuthorizationRequestError).error,
        error_description: error.message,
      });
    }
  }

  /**
   * RFC 9126 §4: `client_id` + `request_uri` and nothing else; the request must be the
   * client's, unexpired and unused (it is deleted here: single use). Every refusal is a
   * 400 page: the redirect URI is not known until the request is.
   */
  private async usePushedRequest(query: AuthorizeQuery): Promise<{ query: AuthorizeQuery; pushed: Pushed }> {
    const extra = Object.keys(query).find((name) => name !== 'client_id' && name !== 'request_uri');
    if (extra !== undefined) throw badRequest('invalid_request', 'With request_uri, only client_id may be given');
    const requestUri = query.request_uri ?? '';
    if (!requestUri.startsWith(REQUEST_URI_PREFIX) || requestUri.length > 200) {
      throw badRequest('invalid_request_uri', 'request_uri is not one this server issued');
    }
    const requests = this.dataSource.getRepository(PushedAuthorizationRequest);
    const row = await requests.findOneBy({ requestUriHash: sha256(requestUri) });
    if (!row || row.clientId !== query.client_id || Number(row.expiresAt) <= Date.now()) {
      throw badRequest('invalid_request_uri', 'request_uri is unknown, expired or used');
    }
    if ((await requests.delete({ requestUriHash: row.requestUriHash })).affected === 0) {
      throw badRequest('invalid_request_uri', 'request_uri is unknown, expired or used'); // used concurrently
    }
    const params = JSON.parse(row.params) as AuthorizeQuery;
    return { query: { ...params, client_id: row.clientId }, pushed: { dpopJkt: row.dpopJkt ?? undefined } };
  }

  private async issue(
    client: SampleClient,
    redirectUri: string,
    types: readonly string[],
    query: AuthorizeQuery,
    pushed: Pushed | undefined,
  ): Promise<Record<string, string | undefined>> {
    const scope = query.scope ?? 'openid';
    const openid = scope.split(' ').includes('openid');
    if (types.includes('id_token') && (!openid || !query.nonce)) {
      throw new AuthorizationRequestError('invalid_request', 'id_token responses need scope openid and a nonce');
    }
    if (types.includes('code') && query.code_challenge_method !== 'S256') {
      throw new AuthorizationRequestError('invalid_request', 'PKCE with code_challenge_method S256 is required');
    }
    if (types.includes('code') && !/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge ?? '')) {
      throw new AuthorizationRequestError('invalid_request', 'code_challenge is malformed');
    }
    const dpopJkt = pushed ? pushed.dpopJkt : parseDpopJkt(query.dpop_jkt);
    if (types.includes('token') && client.dpopBound && !dpopJkt) {
      // This client's access tokens are always DPoP-bound: from here only with dpop_jkt.
      throw new AuthorizationRequestError('invalid_request', 'dpop_jkt is required for tokens returned to this client');
    }
    const grant = { sub: 'alice', clientId: client.id, scope, jkt: dpopJkt };
    const params: Record<string, string | undefined> = {};
    if (types.includes('code')) {
      params.code = randomBytes(32).toString('base64url');
      await this.dataSource.getRepository(AuthorizationCode).insert({
        codeHash: sha256(params.code),
        clientId: client.id,
        redirectUri,
        scope,
        codeChallenge: query.code_challenge ?? null,
        nonce: query.nonce ?? null,
        dpopJkt: dpopJkt ?? null,
        expiresAt: String(Date.now() + 60_000),
      });
    }
    if (types.includes('token')) {
      params.access_token = await this.tokens.accessToken(grant);
      params.token_type = dpopJkt ? 'DPoP' : 'Bearer';
      params.expires_in = String(ACCESS_TOKEN_LIFETIME);
      params.scope = scope;
    }
    if (types.includes('id_token')) {
      params.id_token = await this.tokens.idToken(grant, {
        nonce: query.nonce,
        accessToken: params.access_token,
        code: params.code,
      });
    }
    return params;
  }
}
