import { Injectable } from '@nestjs/common';
import { challengeError } from './dpop-challenge.util.js';
import type { DpopTokenParameters } from './dpop-client.options.js';
import { DpopHttpClient } from './dpop-http.client.js';

/** Header bag of an axios request or response (an `AxiosHeaders` or a plain object). @publicApi */
export type DpopAxiosHeaders = { get?(name: string): unknown; set?(name: string, value: string): unknown } & Record<
  string,
  unknown
>;

/** The part of an axios request config the interceptor reads and writes. @publicApi */
export interface DpopAxiosRequestConfig {
  method?: string;
  url?: string;
  headers?: unknown;
  /** Scope/resource of the token for this request. @default the module's `token` option */
  dpopToken?: DpopTokenParameters;
  /** The interceptor's per-request state (retries done, token sent). @internal */
  dpopState?: { token?: string; nonceRetried?: boolean; refreshed?: boolean };
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

interface AxiosErrorLike {
  config?: DpopAxiosRequestConfig;
  response?: { status: number; headers: unknown };
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

/**
 * DPoP for axios and `@nestjs/axios`: `attach(httpService)` (or an axios
 * instance) adds a request interceptor that sets `Authorization: DPoP <token>`
 * and a fresh proof on every request, and a response interceptor that
 * remembers `DPoP-Nonce` values and retries once for `use_dpop_nonce` and
 * once (with a new token) for `invalid_token`, like {@link DpopHttpClient.fetch}.
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
      ((value: { config?: DpopAxiosRequestConfig; headers?: unknown }) => {
        if (value.config) this.client.rememberNonce(axios.getUri(value.config as never), headerReader(value.headers));
        return value;
      }) as never,
      ((error: unknown) => this.retry(axios, error)) as never,
    );
    return () => {
      axios.interceptors.request.eject(request);
      axios.interceptors.response.eject(response);
    };
  }

  /** Sets the two headers on one outgoing request. */
  protected async sign(axios: DpopAxiosInstance, config: DpopAxiosRequestConfig): Promise<DpopAxiosRequestConfig> {
    const token = await this.client.getAccessToken(config.dpopToken);
    const url = axios.getUri(config as never);
    const proof = await this.client.proof((config.method ?? 'get').toUpperCase(), url, { accessToken: token });
    config.dpopState = { ...config.dpopState, token };
    const headers = (config.headers ?? (config.headers = {})) as DpopAxiosHeaders;
    if (typeof headers.set === 'function') {
      headers.set('Authorization', `DPoP ${token}`);
      headers.set('DPoP', proof);
    } else {
      headers.Authorization = `DPoP ${token}`;
      headers.DPoP = proof;
    }
    return config;
  }

  /** At most one nonce retry and one token refresh per request; anything else is rethrown unchanged. */
  protected async retry(axios: DpopAxiosInstance, error: unknown): Promise<unknown> {
    const { config, response } = (error ?? {}) as AxiosErrorLike;
    if (!config || !response) throw error;
    const headers = headerReader(response.headers);
    const nonce = this.client.rememberNonce(axios.getUri(config as never), headers);
    if (response.status !== 401) throw error;
    const state = { ...config.dpopState };
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
