import { Inject, Injectable } from '@nestjs/common';
import { challengeError } from './dpop-challenge.util.js';
import { DPOP_CLIENT_OPTIONS } from './dpop-client.constants.js';
import type { DpopTokenParameters } from './dpop-client.options.js';
import type { ResolvedDpopClientOptions } from './dpop-client-options.resolver.js';
import { DpopNonceCache } from './dpop-nonce.cache.js';
import { DpopProofSigner, type DpopProofOptions } from './dpop-proof.signer.js';
import { DpopTokenManager } from './dpop-token.manager.js';

/**
 * `fetch`'s `RequestInit`, plus the token to use when it is not the
 * module's default.
 * @publicApi
 */
export interface DpopRequestInit extends RequestInit {
  /** Scope/resource of the token for this request (a separate cache entry). @default the `token` option */
  dpopToken?: DpopTokenParameters;
}

/**
 * Calls DPoP-protected APIs. `fetch` has the standard signature and sends
 * `Authorization: DPoP <token>` with a fresh proof on every request. It
 * retries at most once for the API's `use_dpop_nonce` (with the nonce it
 * gave) and at most once for `invalid_token` (with a new token); every
 * retry carries a new proof. Nonces are remembered per origin from every
 * response's `DPoP-Nonce`.
 * @publicApi
 */
@Injectable()
export class DpopHttpClient {
  constructor(
    @Inject(DPOP_CLIENT_OPTIONS) private readonly options: ResolvedDpopClientOptions,
    private readonly signer: DpopProofSigner,
    private readonly tokens: DpopTokenManager,
    private readonly nonces: DpopNonceCache,
  ) {}

  /** RFC 7638 thumbprint of the DPoP key: the `cnf.jkt` of this client's tokens. */
  get jkt(): string {
    return this.signer.jkt;
  }

  /**
   * `fetch` with DPoP. A 401 that is not retried (or fails again) is
   * returned as is, like any other response; token and signing failures
   * reject with {@link DpopClientError}. A request body is kept for a retry
   * (`Request.clone()`).
   */
  async fetch(input: string | URL | Request, init?: DpopRequestInit): Promise<Response> {
    const base = new Request(input, init);
    const parameters = init?.dpopToken ?? this.options.token;
    let token = await this.tokens.getAccessToken(parameters);
    let nonceRetried = false;
    let refreshed = false;
    for (;;) {
      const request = base.clone();
      const proof = await this.signer.sign(request.method, request.url, {
        accessToken: token,
        nonce: this.nonces.get(request.url),
      });
      request.headers.set('authorization', `DPoP ${token}`);
      request.headers.set('dpop', proof);
      const response = await this.options.fetch(request);
      const nonce = this.nonces.update(request.url, response.headers);
      if (response.status !== 401) return response;
      const error = challengeError(response.headers.get('www-authenticate'));
      if (error === 'use_dpop_nonce' && nonce !== undefined && !nonceRetried) {
        nonceRetried = true;
      } else if (error === 'invalid_token' && !refreshed) {
        refreshed = true;
        this.tokens.invalidate(token, parameters);
        token = await this.tokens.getAccessToken(parameters);
      } else {
        return response;
      }
      await response.body?.cancel();
    }
  }

  /**
   * A fresh proof for another HTTP client: `method` exactly as sent, the
   * absolute `url`, and the access token sent with it (for `ath`). Without
   * `nonce`, the nonce last given by `url`'s origin is used.
   */
  proof(method: string, url: string | URL, options: DpopProofOptions = {}): Promise<string> {
    return this.signer.sign(method, url, { ...options, nonce: options.nonce ?? this.nonces.get(url) });
  }

  /** The access token for `parameters` (cached, single-flight); see {@link DpopTokenManager.getAccessToken}. */
  getAccessToken(parameters: DpopTokenParameters = this.options.token): Promise<string> {
    return this.tokens.getAccessToken(parameters);
  }

  /** Forgets a token an API refused; see {@link DpopTokenManager.invalidate}. */
  invalidateAccessToken(accessToken: string, parameters: DpopTokenParameters = this.options.token): void {
    this.tokens.invalidate(accessToken, parameters);
  }

  /** Remembers the `DPoP-Nonce` of a response from `url` (for clients other than `fetch`); returns it. */
  rememberNonce(url: string | URL, headers: { get(name: string): string | null }): string | undefined {
    return this.nonces.update(url, headers);
  }
}
