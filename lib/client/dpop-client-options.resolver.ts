import { CLIENT_ALGORITHMS, CLIENT_ALGORITHM_NAMES } from './dpop-client.constants.js';
import { DPOP_CLIENT_DEFAULTS } from './dpop-client.defaults.js';
import {
  assertBoolean,
  assertFunction,
  assertKnownOptions,
  assertNonEmptyString,
  assertNumber,
  assertOneOf,
  assertOptionsObject,
  describeValue,
  optionError,
} from '../internal/assert-options.js';
import type {
  DpopClientAuthentication,
  DpopClientKeyOptions,
  DpopClientModuleOptions,
  DpopTokenParameters,
} from './dpop-client.options.js';

/**
 * {@link DpopClientModuleOptions} with every default applied and every value checked.
 * @publicApi
 */
export interface ResolvedDpopClientOptions {
  readonly issuer?: URL;
  readonly tokenEndpoint?: URL;
  readonly discovery: 'auto' | 'oauth2' | 'oidc';
  readonly clientId: string;
  readonly clientAuthentication: DpopClientAuthentication;
  readonly token: DpopTokenParameters;
  readonly key: DpopClientKeyOptions;
  readonly refreshBeforeExpirySeconds: number;
  readonly defaultTokenLifetimeSeconds: number;
  readonly authorizationServerTimeoutMs: number;
  readonly maxNonceOrigins: number;
  readonly maxTokenResponseBytes: number;
  readonly allowInsecureRequests: boolean;
  readonly followCrossOriginRedirects: boolean;
  readonly fetch: typeof fetch;
}

const OWNER = 'DpopClientModule';
const KNOWN_OPTIONS: readonly string[] = [
  'issuer',
  'tokenEndpoint',
  'discovery',
  'clientId',
  'clientAuthentication',
  'token',
  'key',
  'refreshBeforeExpirySeconds',
  'defaultTokenLifetimeSeconds',
  'authorizationServerTimeoutMs',
  'maxNonceOrigins',
  'maxTokenResponseBytes',
  'allowInsecureRequests',
  'followCrossOriginRedirects',
  'fetch',
];

const fail = (option: string, problem: string): never => {
  throw optionError(OWNER, option, problem);
};

function url(name: string, value: unknown, allowHttp: boolean): URL {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return fail(name, 'must be an absolute URL, e.g. "https://as.example.com"');
  if (parsed.protocol !== 'https:' && !(allowHttp && parsed.protocol === 'http:')) {
    return fail(name, 'must be an https: URL (set "allowInsecureRequests: true" for http: in development)');
  }
  if (parsed.hash) return fail(name, 'must not have a #fragment');
  return parsed;
}

function nonNegative(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  assertNumber(OWNER, name, value, min);
  return value;
}

function algorithm(name: string, value: unknown): void {
  if (typeof value !== 'string' || !(value in CLIENT_ALGORITHMS)) {
    fail(name, `must be one of ${CLIENT_ALGORITHM_NAMES.join(', ')}`);
  }
}

function checkKey(key: DpopClientKeyOptions): void {
  if (typeof key !== 'object' || key === null)
    throw optionError(OWNER, 'key', `must be an object (got ${describeValue(key)})`);
  if ('generate' in key) return algorithm('key.generate', key.generate);
  algorithm('key.alg', key.alg);
  if ('sign' in key) {
    assertFunction(OWNER, 'key.sign', key.sign, 'a function (data) => signature');
    if (typeof key.publicJwk !== 'object' || key.publicJwk === null) {
      fail('key.publicJwk', 'must be the public JWK of the key "key.sign" signs with');
    }
    if ('d' in key.publicJwk) fail('key.publicJwk', 'must be a public JWK: remove the private member "d"');
    return;
  }
  if (!('privateKey' in key) || key.privateKey === undefined || key.privateKey === null) {
    fail('key', 'must be { generate }, { alg, privateKey } or { alg, publicJwk, sign }');
  }
}

function checkAuthentication(auth: DpopClientAuthentication | undefined): DpopClientAuthentication {
  if (typeof auth !== 'object' || auth === null) {
    return fail('clientAuthentication', 'is required, e.g. { method: "client_secret_basic", clientSecret }');
  }
  switch (auth.method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (typeof auth.clientSecret !== 'string' || auth.clientSecret === '') {
        fail('clientAuthentication.clientSecret', `must be a non-empty string for ${auth.method}`);
      }
      return auth;
    case 'private_key_jwt':
      if (auth.privateKey === undefined || auth.privateKey === null) {
        fail('clientAuthentication.privateKey', 'is required for private_key_jwt');
      }
      return auth;
    default:
      return fail(
        'clientAuthentication.method',
        'must be "client_secret_basic", "client_secret_post" or "private_key_jwt"',
      );
  }
}

function checkToken(token: DpopTokenParameters | undefined): DpopTokenParameters {
  if (token === undefined) return {};
  if (typeof token !== 'object' || token === null) return fail('token', 'must be { scope?, resource? }');
  if (token.scope !== undefined && typeof token.scope !== 'string') fail('token.scope', 'must be a string');
  const resources = token.resource === undefined ? [] : [token.resource].flat();
  for (const resource of resources) {
    try {
      if (typeof resource !== 'string' || new URL(resource).hash) throw new Error();
    } catch {
      fail('token.resource', 'must be absolute URLs without #fragment (RFC 8707)');
    }
  }
  return token;
}

/**
 * Applies the defaults and checks every option; throws a
 * `DpopClientConfigurationError` (`DpopConfigurationError`) naming the first wrong option.
 * @publicApi
 */
export function resolveDpopClientOptions(options: DpopClientModuleOptions): ResolvedDpopClientOptions {
  assertOptionsObject(OWNER, options);
  assertKnownOptions(OWNER, options, KNOWN_OPTIONS);
  const allowInsecureRequests = options.allowInsecureRequests ?? DPOP_CLIENT_DEFAULTS.allowInsecureRequests;
  assertBoolean(OWNER, 'allowInsecureRequests', allowInsecureRequests);
  if (options.issuer === undefined && options.tokenEndpoint === undefined) {
    fail('issuer', 'or option "tokenEndpoint" is required (give "issuer" for metadata discovery)');
  }
  const issuer = options.issuer === undefined ? undefined : url('issuer', options.issuer, allowInsecureRequests);
  const tokenEndpoint =
    options.tokenEndpoint === undefined
      ? undefined
      : url('tokenEndpoint', options.tokenEndpoint, allowInsecureRequests);
  const discovery = options.discovery ?? DPOP_CLIENT_DEFAULTS.discovery;
  assertOneOf(OWNER, 'discovery', discovery, ['auto', 'oauth2', 'oidc']);
  assertNonEmptyString(OWNER, 'clientId', options.clientId);
  const key = options.key ?? DPOP_CLIENT_DEFAULTS.key;
  checkKey(key);
  const followCrossOriginRedirects =
    options.followCrossOriginRedirects ?? DPOP_CLIENT_DEFAULTS.followCrossOriginRedirects;
  assertBoolean(OWNER, 'followCrossOriginRedirects', followCrossOriginRedirects);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  assertFunction(OWNER, 'fetch', fetchFunction, 'a fetch function');
  return {
    issuer,
    tokenEndpoint,
    discovery,
    clientId: options.clientId,
    clientAuthentication: checkAuthentication(options.clientAuthentication),
    token: checkToken(options.token),
    key,
    refreshBeforeExpirySeconds: nonNegative(
      'refreshBeforeExpirySeconds',
      options.refreshBeforeExpirySeconds,
      DPOP_CLIENT_DEFAULTS.refreshBeforeExpirySeconds,
    ),
    defaultTokenLifetimeSeconds: nonNegative(
      'defaultTokenLifetimeSeconds',
      options.defaultTokenLifetimeSeconds,
      DPOP_CLIENT_DEFAULTS.defaultTokenLifetimeSeconds,
      1,
    ),
    authorizationServerTimeoutMs: nonNegative(
      'authorizationServerTimeoutMs',
      options.authorizationServerTimeoutMs,
      DPOP_CLIENT_DEFAULTS.authorizationServerTimeoutMs,
      1,
    ),
    maxNonceOrigins: nonNegative('maxNonceOrigins', options.maxNonceOrigins, DPOP_CLIENT_DEFAULTS.maxNonceOrigins, 1),
    maxTokenResponseBytes: nonNegative(
      'maxTokenResponseBytes',
      options.maxTokenResponseBytes,
      DPOP_CLIENT_DEFAULTS.maxTokenResponseBytes,
      1,
    ),
    allowInsecureRequests,
    followCrossOriginRedirects,
    fetch: fetchFunction,
  };
}
