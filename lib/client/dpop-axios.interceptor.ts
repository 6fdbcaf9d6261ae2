import { Injectable } from '@nestjs/common';
import { challengeError } from './dpop-challenge.util.js';
import type { DpopTokenParameters } from './dpop-client.options.js';
import { DpopHttpClient } from './dpop-http.client.js';
import { BODY_HEADERS, MAX_REDIRECTS, tooManyRedirects } from './dpop-redirect.util.js';

/** Header bag of an axios request or response (an `AxiosHeaders` or a plain object). @publicApi */
export type DpopAxiosHeaders = {
  get?(name: string): unknown;
  set?(name: string, value: string): unknown;
  delete?(name: string): unknown;
} & Record<string, unknown>;

/** The part of an axios request config the interceptor reads and writes. @publicApi */
export interface DpopAxiosRequestConfig {
  method?: string;
  url?: string;
  baseURL?: string;
  params?: unknown;
  data?: unknown;
  headers?: unknown;
  maxRedirects?: number;
  /** Scope/resource of the token for this request. @default the module's `token` option */
  dpopToken?: DpopTokenParameters;
  /** The interceptor's per-request state (retries and redirects done, token sent). @internal */
  dpopState?: {
    token?: string;
    nonceRetried?: boolean;
    refreshed?: boolean;
    redirects?: number;
    /** The caller's `maxRedirects: 0`: 3xx responses are returned, not followed. */
    manual?: boolean;
    /** A cross-origin redirect was followed: no token or proof for the rest of the call. */
    unsigned?: boolean;
  };
}

/**
 * The part of an `AxiosInstance` the interceptor uses. `@nestjs/axios`'s
 * `HttpService` (through `axiosRef`) and any axios instance fit; neither
 * package is imported by this library.
 * @publicApi
 */
export interface DpopAxiosInstance {
  interceptors: {
    request: { use(onFulfilled: never, onRejected?: never): number; eject(id: number): void };
    response: { use(onFulfilled: never, onRejected?: never): number; eject(id: number): void };
  };
  request(config: never): Promise<unknown>;
  getUri(config?: never): string;
}

interface AxiosResponseLike {
  config?: DpopAxiosRequestConfig;
  status: number;
  headers: unknown;
}

function headerReader(headers: unknown): { get(name: string): string | null } {
  const bag = (headers ?? {}) as DpopAxiosHeaders;
  return {
    get(name) {
      const value = typeof bag.get === 'function' ? bag.get(name) : (bag[name] ?? bag[name.toLowerCase()]);
      return typeof value === 'string' ? value : null;
    },
  };
}

/** Sets (or, without `value`, removes) a header of an `AxiosHeaders` or a plain object, whatever its case. */
function setHeader(headers: DpopAxiosHeaders, name: string, value?: string): void {
  if (typeof headers.set === 'function' && typeof headers.delete === 'function') {
    if (value === undefined) headers.delete(name);
    else headers.set(name, value);
    return;
  }
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  if (value !== undefined) headers[name] = value;
}

/**
 * DPoP for axios and `@nestjs/axios`: `attach(httpService)` (or an axios
 * instance) adds a request interceptor that sets `Authorization: DPoP <token>`
 * and a fresh proof on every request, and a response interceptor that
 * remembers `DPoP-Nonce` values and retries once for `use_dpop_nonce` and
 * once (with a new token) for `invalid_token`, like {@link DpopHttpClient.fetch}.
 * Redirects are followed by the interceptor, not by axios (it sets
 * `maxRedirects: 0`), with the rules of {@link DpopHttpClient.fetch}; a
 * caller's own `maxRedirects: 0` returns the 3xx as axios would.
 * @publicApi
 */
@Injectable()
export class DpopAxiosInterceptor {
  constructor(private readonly client: DpopHttpClient) {}

  /** Registers the interceptors on `target`; returns a function that removes them. */
  attach(target: DpopAxiosInstance | { axiosRef: DpopAxiosInstance }): () => void {
    const axios = 'axiosRef' in target ? target.axiosRef : target;
    const request = axios.interceptors.request.use(((config: DpopAxiosRequestConfig) =>
      this.sign(axios, config)) as never);
    const response = axios.interceptors.response.use(
      ((value: AxiosResponseLike) => this.redirect(axios, value) ?? value) as never,
      ((error: unknown) => this.retry(axios, error)) as never,
    );
    return () => {
      axios.interceptors.request.eject(request);
      axios.interceptors.response.eject(response);
    };
  }

  /** Sets the two headers on one outgoing request (removes them after a cross-origin redirect). */
  protected async sign(axios: DpopAxiosInstance, config: DpopAxiosRequestConfig): Promise<DpopAxiosRequestConfig> {
    const state = (config.dpopState = { manual: config.maxRedirects === 0, ...config.dpopState });
    config.maxRedirects = 0;
    const headers = (config.headers ?? (config.headers = {})) as DpopAxiosHeaders;
    if (state.unsigned) {
      setHeader(headers, 'Authorization');
      setHeader(headers, 'DPoP');
      return config;
    }
    const token = await this.client.getAccessToken(config.dpopToken);
    const url = axios.getUri(config as never);
    const proof = await this.client.proof((config.method ?? 'get').toUpperCase(), url, { accessToken: token });
    state.token = token;
    setHeader(headers, 'Authorization', `DPoP ${token}`);
    setHeader(headers, 'DPoP', proof);
    return config;
  }

  /**
   * Remembers the response's `DPoP-Nonce` under its own URL's origin; for a
   * redirect the interceptor follows, sends the next request and returns its
   * result. Undefined when the response is the answer.
   */
  protected redirect(axios: DpopAxiosInstance, response: AxiosResponseLike): Promise<unknown> | undefined {
    const { config } = response;
    if (!config) return undefined;
    const url = axios.getUri(config as never);
    const headers = headerReader(response.headers);
    this.client.rememberNonce(url, headers);
    const state = { ...config.dpopState };
    const next = this.client.redirectTo(response.status, headers.get('location'), url, config.method ?? 'get');
    if (!next || state.manual) return undefined;
    const redirects = (state.redirects ?? 0) + 1;
    if (redirects > MAX_REDIRECTS) return Promise.reject(tooManyRedirects());
    const nextHeaders = (config.headers ?? {}) as DpopAxiosHeaders;
    if (!next.keepBody) BODY_HEADERS.forEach((name) => setHeader(nextHeaders, name));
    return axios.request({
      ...config,
      url: next.url.href,
      params: undefined,
      method: next.method,
      data: next.keepBody ? config.data : undefined,
      headers: nextHeaders,
      dpopState: { ...state, redirects, unsigned: state.unsigned || !next.sameOrigin },
    } as never);
  }

  /** Follows a redirect; at most one nonce retry and one token refresh per request; anything else is rethrown unchanged. */
  protected async retry(axios: DpopAxiosInstance, error: unknown): Promise<unknown> {
    const { config, response } = (error ?? {}) as { config?: DpopAxiosRequestConfig; response?: AxiosResponseLike };
    if (!config || !response) throw error;
    const redirected = this.redirect(axios, { ...response, config });
    if (redirected) return redirected;
    const headers = headerReader(response.headers);
    const nonce = headers.get('dpop-nonce') ?? undefined;
    const state = { ...config.dpopState };
    if (response.status !== 401 || state.unsigned) throw error;
    const code = challengeError(headers.get('www-authenticate'));
    if (code === 'use_dpop_nonce' && nonce !== undefined && !state.nonceRetried) {
      state.nonceRetried = true;
    } else if (code === 'invalid_token' && !state.refreshed && state.token !== undefined) {
      state.refreshed = true;
      this.client.invalidateAccessToken(state.token, config.dpopToken);
    } else {
      throw error;
    }
    return axios.request({ ...config, dpopState: state } as never);
  }
}
