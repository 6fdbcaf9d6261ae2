import { Inject, Injectable } from '@nestjs/common';
import { challengeError } from './dpop-challenge.util.js';
import { DPOP_CLIENT_OPTIONS } from './dpop-client.constants.js';
import type { DpopTokenParameters } from './dpop-client.options.js';
import type { ResolvedDpopClientOptions } from './dpop-client-options.resolver.js';
import { DpopNonceCache } from './dpop-nonce.cache.js';
import { DpopProofSigner, type DpopProofOptions } from './dpop-proof.signer.js';
import {
  BODY_HEADERS,
  MAX_REDIRECTS,
  redirectTarget,
  tooManyRedirects,
  type RedirectTarget,
} from './dpop-redirect.util.js';
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

/** What one `fetch` call has used up: the token it sends, and its two retries. */
interface CallState {
  token: string;
  nonceRetried: boolean;
  refreshed: boolean;
}

/**
 * Calls DPoP-protected APIs. `fetch` has the standard signature and sends
 * `Authorization: DPoP <token>` with a fresh proof on every request. It
 * retries at most once for the API's `use_dpop_nonce` (with the nonce it
 * gave) and at most once for `invalid_token` (with a new token); every
 * retry carries a new proof. Nonces are remembered per origin from every
 * response's `DPoP-Nonce`, under the origin of the response that sent it.
 * Redirects are followed here, not by `fetch`: see {@link DpopHttpClient.fetch}.
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
   *
   * Redirects: a same-origin one is followed with a new proof for the new
   * method and URL (303, and 301/302 after a POST, become a GET without the
   * body; 307/308 keep both). A cross-origin one is returned as the response,
   * or, with `followCrossOriginRedirects`, followed without `Authorization`
   * and `DPoP` for the rest of the call. More than 20 redirects reject with
   * `too_many_redirects`. `redirect: 'manual'` returns any 3xx as is, and
   * `redirect: 'error'` rejects on one, as in `fetch`.
   */
  async fetch(input: string | URL | Request, init?: DpopRequestInit): Promise<Response> {
    const first = new Request(input, init);
    const mode = first.redirect;
    let request = new Request(first, { redirect: 'manual' });
    const parameters = init?.dpopToken ?? this.options.token;
    const state: CallState = {
      token: await this.tokens.getAccessToken(parameters),
      nonceRetried: false,
      refreshed: false,
    };
    let signed = true;
    for (let redirects = 0; ; redirects++) {
      const response = signed ? await this.send(request, parameters, state) : await this.options.fetch(request);
      if (!signed) this.nonces.update(response.url || request.url, response.headers);
      const next = this.redirectTo(response.status, response.headers.get('location'), request.url, request.method);
      if (!next || mode === 'manual') return response;
      await response.body?.cancel();
      if (mode === 'error') throw new TypeError('fetch failed: a redirect with redirect: "error"');
      if (redirects === MAX_REDIRECTS) throw tooManyRedirects();
      signed &&= next.sameOrigin;
      const headers = new Headers(request.headers);
      if (!signed) ['authorization', 'dpop'].forEach((name) => headers.delete(name));
      if (!next.keepBody) BODY_HEADERS.forEach((name) => headers.delete(name));
      request = new Request(next.url, {
        method: next.method,
        headers,
        body: next.keepBody && request.body ? await request.arrayBuffer() : null,
        redirect: 'manual',
        signal: request.signal,
      });
    }
  }

  /**
   * Where the answer `status`/`location` to `method` `from` redirects, if
   * this client follows it (a same-origin redirect, or any with
   * `followCrossOriginRedirects`); undefined when the response is the answer.
   * @internal
   */
  redirectTo(status: number, location: string | null, from: string, method: string): RedirectTarget | undefined {
    const next = redirectTarget(status, location, from, method);
    return next && (next.sameOrigin || this.options.followCrossOriginRedirects) ? next : undefined;
  }

  /** One request with the token and a fresh proof; retries once for a nonce and once with a new token. */
  private async send(request: Request, parameters: DpopTokenParameters, state: CallState): Promise<Response> {
    for (;;) {
      const attempt = request.clone();
      const proof = await this.signer.sign(attempt.method, attempt.url, {
        accessToken: state.token,
        nonce: this.nonces.get(attempt.url),
      });
      attempt.headers.set('authorization', `DPoP ${state.token}`);
      attempt.headers.set('dpop', proof);
      const response = await this.options.fetch(attempt);
      const nonce = this.nonces.update(response.url || attempt.url, response.headers);
      if (response.status !== 401) return response;
      const error = challengeError(response.headers.get('www-authenticate'));
      if (error === 'use_dpop_nonce' && nonce !== undefined && !state.nonceRetried) {
        state.nonceRetried = true;
      } else if (error === 'invalid_token' && !state.refreshed) {
        state.refreshed = true;
        this.tokens.invalidate(state.token, parameters);
        state.token = await this.tokens.getAccessToken(parameters);
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
