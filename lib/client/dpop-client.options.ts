import type { KeyObject, webcrypto } from 'node:crypto';
import type { DpopClientAlgorithm } from './dpop-client.constants.js';

/** A public or private key as a JSON Web Key (RFC 7517). @publicApi */
export interface DpopClientJwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

/** A private key in any form the client imports: a `CryptoKey`, a `KeyObject`, a private JWK or a PKCS#8 PEM. @publicApi */
export type DpopClientPrivateKey = webcrypto.CryptoKey | KeyObject | DpopClientJwk | string;

/**
 * Signs with a key the process never sees (KMS, HSM): returns the JWS
 * signature of `data` for the algorithm named in {@link DpopClientExternalKey.alg}
 * (for ECDSA the raw `r || s` form, IEEE P1363, not DER).
 * @publicApi
 */
export type DpopSignCallback = (data: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/** The DPoP key is made in memory at start-up (a restart makes a new key). @publicApi */
export interface DpopClientGeneratedKey {
  /**
   * Algorithm of the generated key.
   * @default 'ES256'
   */
  generate: DpopClientAlgorithm;
}

/** The app supplies the DPoP private key. @publicApi */
export interface DpopClientSuppliedKey {
  /** Algorithm to sign with; must fit the key (e.g. `ES256` for a P-256 key). No default. */
  alg: DpopClientAlgorithm;
  /** The private key: `CryptoKey`, `KeyObject`, private JWK, or PKCS#8 PEM. No default. */
  privateKey: DpopClientPrivateKey;
}

/** The private key stays in a KMS or HSM: the client only asks it to sign. @publicApi */
export interface DpopClientExternalKey {
  /** Algorithm `sign` produces signatures for. No default. */
  alg: DpopClientAlgorithm;
  /** The public key, as a JWK; only its public members are ever sent. No default. */
  publicJwk: DpopClientJwk;
  /** Produces the signature; called once per proof, and once at start-up to check it fits `publicJwk`. */
  sign: DpopSignCallback;
}

/** Where the DPoP proof key comes from. @publicApi */
export type DpopClientKeyOptions = DpopClientGeneratedKey | DpopClientSuppliedKey | DpopClientExternalKey;

/**
 * How the client authenticates at the token endpoint (all through oauth4webapi).
 * @publicApi
 */
export type DpopClientAuthentication =
  | {
      /** `client_secret_basic` (HTTP Basic) or `client_secret_post` (form body). */
      method: 'client_secret_basic' | 'client_secret_post';
      /** The client secret. Never logged. */
      clientSecret: string;
    }
  | {
      /** `private_key_jwt` (RFC 7523): a signed client assertion. */
      method: 'private_key_jwt';
      /** The client's private key: `CryptoKey`, private JWK or PKCS#8 PEM. */
      privateKey: webcrypto.CryptoKey | DpopClientJwk | string;
      /** Algorithm of `privateKey`; needed for a JWK without `alg` or a PEM. */
      alg?: string;
      /** `kid` to put in the assertion header. */
      kid?: string;
    };

/** Parameters of a client-credentials token request; also the token cache key. @publicApi */
export interface DpopTokenParameters {
  /** Space-separated scopes to ask for. */
  scope?: string;
  /** Resource indicator(s) (RFC 8707) to ask for. */
  resource?: string | string[];
}

/**
 * Options of {@link DpopClientModule}. Give `issuer` (discovery) or
 * `tokenEndpoint`, `clientId` and `clientAuthentication`; everything else has
 * a default. Checked once at start-up.
 * @publicApi
 */
export interface DpopClientModuleOptions {
  /**
   * Issuer URL of the authorization server; its metadata is discovered
   * (RFC 8414, then OpenID Connect Discovery) on the first token request.
   * Give this or `tokenEndpoint`.
   * @default undefined
   */
  issuer?: string;
  /**
   * Token endpoint URL, used as is (no discovery). Give this or `issuer`.
   * @default undefined
   */
  tokenEndpoint?: string;
  /**
   * Which discovery document to read for `issuer`: `'oauth2'` (RFC 8414
   * `/.well-known/oauth-authorization-server`), `'oidc'`
   * (`/.well-known/openid-configuration`), or `'auto'` (the first, then the second).
   * @default 'auto'
   */
  discovery?: 'auto' | 'oauth2' | 'oidc';
  /**
   * The OAuth client id.
   * @default undefined (required)
   */
  clientId: string;
  /**
   * Client authentication at the token endpoint.
   * @default undefined (required)
   */
  clientAuthentication: DpopClientAuthentication;
  /**
   * Scope and resource of the tokens `fetch` uses when a call names none.
   * @default {} (the authorization server's defaults)
   */
  token?: DpopTokenParameters;
  /**
   * The DPoP proof key.
   * @default { generate: 'ES256' } (a non-extractable key made at start-up)
   */
  key?: DpopClientKeyOptions;
  /**
   * A cached token is replaced this many seconds before its `expires_in` runs out.
   * @default 30
   */
  refreshBeforeExpirySeconds?: number;
  /**
   * Lifetime assumed for a token whose response has no `expires_in`.
   * @default 60
   */
  defaultTokenLifetimeSeconds?: number;
  /**
   * Time limit of one request to the authorization server (discovery, token), in milliseconds.
   * @default 10000
   */
  authorizationServerTimeoutMs?: number;
  /**
   * Largest token endpoint response read, in bytes (counted as it arrives);
   * a larger one fails with `token_response_too_large`.
   * @default 65536 (64 KiB)
   */
  maxTokenResponseBytes?: number;
  /**
   * How many origins' `DPoP-Nonce` values are remembered (oldest forgotten first).
   * @default 1000
   */
  maxNonceOrigins?: number;
  /**
   * Allow `http:` URLs for the authorization server (local development and tests only).
   * @default false
   */
  allowInsecureRequests?: boolean;
  /**
   * What to do when an API redirects to another origin (scheme, host or port).
   * `false`: the redirect is not followed; the 3xx response is the answer
   * (axios rejects it as it rejects any 3xx, unless `validateStatus` accepts it).
   * `true`: it is followed without the `Authorization` and `DPoP` headers, and
   * so are all later redirects of that call, whatever their origin.
   * Same-origin redirects are always followed, with a new proof for the new
   * method and URL (at most 20 redirects per call).
   * @default false
   */
  followCrossOriginRedirects?: boolean;
  /**
   * The `fetch` every request goes through (authorization server and APIs).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
}
