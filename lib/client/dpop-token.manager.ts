import { Inject, Injectable } from '@nestjs/common';
import * as oauth from 'oauth4webapi';
import { LimitedFetchError, readLimited } from '../internal/limited-fetch.js';
import { TOKEN68 } from '../internal/patterns.js';
import { oauthErrorCode } from './dpop-challenge.util.js';
import { DPOP_CLIENT_OPTIONS } from './dpop-client.constants.js';
import { DpopClientError } from './dpop-client.error.js';
import type { DpopTokenParameters } from './dpop-client.options.js';
import type { ResolvedDpopClientOptions } from './dpop-client-options.resolver.js';
import { DpopNonceCache } from './dpop-nonce.cache.js';
import { DpopProofSigner } from './dpop-proof.signer.js';

/** Injection token of oauth4webapi's client authentication, built at start-up. @internal */
export const DPOP_CLIENT_AUTH = Symbol('DPOP_CLIENT_AUTH');

interface CachedToken {
  readonly accessToken: string;
  /** Epoch ms after which the token is no longer handed out. */
  readonly refreshAt: number;
}

const describe = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  const name = (error as Error)?.name ?? 'Error';
  return typeof cause === 'string' ? `${name}: ${cause}` : name;
};

/**
 * Obtains DPoP-bound access tokens with the client-credentials grant
 * (oauth4webapi) and caches them per scope/resource until shortly before
 * they expire. One token request runs per cache key however many callers
 * wait; they share its result or its failure, and a failure is not cached.
 * The authorization server's `use_dpop_nonce` is retried once with the
 * nonce it gave.
 * @publicApi
 */
@Injectable()
export class DpopTokenManager {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private authorizationServer?: oauth.AuthorizationServer;
  private discovering?: Promise<oauth.AuthorizationServer>;
  private readonly client: oauth.Client;

  constructor(
    @Inject(DPOP_CLIENT_OPTIONS) private readonly options: ResolvedDpopClientOptions,
    @Inject(DPOP_CLIENT_AUTH) private readonly clientAuth: oauth.ClientAuth,
    private readonly signer: DpopProofSigner,
    private readonly nonces: DpopNonceCache,
  ) {
    this.client = { client_id: options.clientId };
  }

  /**
   * A DPoP-bound access token for `parameters` (default: the `token` option):
   * from the cache, or from the token endpoint. Throws {@link DpopClientError}.
   */
  async getAccessToken(parameters: DpopTokenParameters = this.options.token): Promise<string> {
    const key = cacheKey(parameters);
    const cached = this.tokens.get(key);
    if (cached && cached.refreshAt > Date.now()) return cached.accessToken;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.requestToken(parameters).then(
        (token) => {
          this.inFlight.delete(key);
          this.tokens.set(key, token);
          return token;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return (await pending).accessToken;
  }

  /**
   * Forgets `accessToken` (an API refused it) so the next call gets a new
   * one; a newer token already cached or on its way is kept.
   */
  invalidate(accessToken: string, parameters: DpopTokenParameters = this.options.token): void {
    const key = cacheKey(parameters);
    if (this.tokens.get(key)?.accessToken === accessToken) this.tokens.delete(key);
  }

  private httpOptions() {
    return {
      signal: () => AbortSignal.timeout(this.options.authorizationServerTimeoutMs),
      [oauth.customFetch]: this.options.fetch,
      [oauth.allowInsecureRequests]: this.options.allowInsecureRequests,
    };
  }

  /**
   * The `fetch` of token requests: the whole response is read here, up to
   * `maxTokenResponseBytes` (counted as it arrives), before oauth4webapi parses it.
   */
  private readonly tokenFetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const response = await this.options.fetch(url, init);
    if (!response.body) return response;
    const max = this.options.maxTokenResponseBytes;
    const body = await readLimited(response.body, max).catch((error: unknown) => {
      if (!(error instanceof LimitedFetchError)) throw error;
      throw new DpopClientError(
        'token_response_too_large',
        `The token endpoint ${url} sent a response larger than ${max} bytes (maxTokenResponseBytes).`,
        { status: response.status },
      );
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  private async requestToken(parameters: DpopTokenParameters): Promise<CachedToken> {
    const as = await this.metadata();
    const endpoint = as.token_endpoint!;
    const body: string[][] = [];
    if (parameters.scope !== undefined) body.push(['scope', parameters.scope]);
    for (const resource of [parameters.resource ?? []].flat()) body.push(['resource', resource]);
    for (let attempt = 1; ; attempt++) {
      const proof = await this.signer.sign('POST', endpoint, { nonce: this.nonces.get(endpoint) });
      let response: Response;
      try {
        response = await oauth.clientCredentialsGrantRequest(as, this.client, this.clientAuth, body, {
          ...this.httpOptions(),
          [oauth.customFetch]: this.tokenFetch,
          headers: { dpop: proof },
        });
      } catch (error) {
        if (error instanceof DpopClientError) throw error;
        throw new DpopClientError(
          'authorization_server_unreachable',
          `The token endpoint ${endpoint} did not answer (${describe(error)}).`,
          { cause: error },
        );
      }
      const nonce = this.nonces.update(endpoint, response.headers);
      try {
        const result = await oauth.processClientCredentialsResponse(as, this.client, response);
        return this.cacheEntry(result, endpoint);
      } catch (error) {
        const oauthError = await errorCode(error);
        if (oauthError === 'use_dpop_nonce' && nonce !== undefined && attempt === 1) continue;
        if (error instanceof DpopClientError) throw error;
        if (!response.ok || oauthError !== undefined) {
          throw new DpopClientError(
            'token_request_failed',
            `The token endpoint ${endpoint} refused the token request: HTTP ${response.status}` +
              (oauthError ? ` ${oauthError}` : '') +
              '.',
            { cause: error, status: response.status, oauthError },
          );
        }
        // No `cause`: oauth4webapi attaches the response body, which may hold a usable access token.
        const reason = error instanceof oauth.OperationProcessingError ? error.message : describe(error);
        throw new DpopClientError(
          'invalid_token_response',
          `The token endpoint ${endpoint} sent an invalid token response: ${reason}`,
          { status: response.status },
        );
      }
    }
  }

  private cacheEntry(result: oauth.TokenEndpointResponse, endpoint: string): CachedToken {
    if (result.token_type.toLowerCase() !== 'dpop') {
      throw new DpopClientError(
        'invalid_token_response',
        `The token endpoint ${endpoint} issued a ${JSON.stringify(result.token_type.slice(0, 20))} token, not a DPoP-bound one ` +
          '(does the authorization server support DPoP for this client?).',
      );
    }
    if (!TOKEN68.test(result.access_token)) {
      throw new DpopClientError(
        'invalid_token_response',
        `The token endpoint ${endpoint} issued an access token that is not an RFC 6750 token68 (characters ` +
          'outside A-Z a-z 0-9 - . _ ~ + / and trailing =); it is not used.',
      );
    }
    const lifetime = result.expires_in ?? this.options.defaultTokenLifetimeSeconds;
    // Never hand out a token in its last `refreshBeforeExpirySeconds`, nor keep one for less than half its life.
    const margin = Math.min(this.options.refreshBeforeExpirySeconds, lifetime / 2);
    return { accessToken: result.access_token, refreshAt: Date.now() + (lifetime - margin) * 1000 };
  }

  /** The authorization server's metadata: explicit `tokenEndpoint`, or discovered once (a failure is retried next call). */
  private async metadata(): Promise<oauth.AuthorizationServer> {
    if (this.authorizationServer) return this.authorizationServer;
    const { tokenEndpoint, issuer } = this.options;
    if (tokenEndpoint) {
      this.authorizationServer = { issuer: (issuer ?? tokenEndpoint).href, token_endpoint: tokenEndpoint.href };
      return this.authorizationServer;
    }
    this.discovering ??= this.discover(issuer!).finally(() => (this.discovering = undefined));
    const as = await this.discovering;
    this.authorizationServer = as;
    return as;
  }

  private async discover(issuer: URL): Promise<oauth.AuthorizationServer> {
    const algorithms: ('oauth2' | 'oidc')[] =
      this.options.discovery === 'auto' ? ['oauth2', 'oidc'] : [this.options.discovery];
    for (const [index, algorithm] of algorithms.entries()) {
      let response: Response;
      try {
        response = await oauth.discoveryRequest(issuer, { algorithm, ...this.httpOptions() });
      } catch (error) {
        throw new DpopClientError(
          'authorization_server_unreachable',
          `The authorization server ${issuer.href} did not answer the metadata request (${describe(error)}).`,
          { cause: error },
        );
      }
      if (response.status === 404 && index < algorithms.length - 1) continue;
      try {
        const as = await oauth.processDiscoveryResponse(issuer, response);
        if (typeof as.token_endpoint !== 'string') throw new TypeError('no token_endpoint');
        return as;
      } catch (error) {
        throw new DpopClientError(
          'discovery_failed',
          `The metadata of ${issuer.href} (${algorithm}) could not be used: HTTP ${response.status} (${describe(error)}).`,
          { cause: error, status: response.status },
        );
      }
    }
    /* c8 ignore next */
    throw new DpopClientError('discovery_failed', `No metadata found for ${issuer.href}.`);
  }
}

function cacheKey(parameters: DpopTokenParameters): string {
  return JSON.stringify([parameters.scope ?? null, [parameters.resource ?? []].flat().sort()]);
}

/** The OAuth `error` code of a failed token response: from its body, or from its `WWW-Authenticate` challenge. */
async function errorCode(error: unknown): Promise<string | undefined> {
  if (error instanceof oauth.ResponseBodyError) return oauthErrorCode(error.error);
  if (!(error instanceof oauth.WWWAuthenticateChallengeError)) return undefined;
  const fromChallenge = error.cause.find((challenge) => typeof challenge.parameters.error === 'string');
  if (fromChallenge) return oauthErrorCode(fromChallenge.parameters.error);
  // e.g. 401 invalid_client with a `Basic realm` challenge: the code is in the JSON body.
  const body: unknown = await error.response.json().catch(() => undefined);
  return oauthErrorCode((body as { error?: unknown } | undefined)?.error);
}
