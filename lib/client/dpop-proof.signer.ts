import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { DpopClientAlgorithm } from './dpop-client.constants.js';
import { DpopClientError } from './dpop-client.error.js';
import type { DpopClientJwk, DpopClientKeyOptions } from './dpop-client.options.js';
import { DPOP_CLIENT_DEFAULTS } from './dpop-client.defaults.js';
import { loadSigningKey, type DpopSigningKey } from './dpop-signing-key.loader.js';

/** What a proof is bound to besides the request: the access token (`ath`) and a server nonce. @publicApi */
export interface DpopProofOptions {
  /** The access token sent with the request; the proof then carries its hash as `ath`. */
  accessToken?: string;
  /** The server's `DPoP-Nonce`, sent as the `nonce` claim. */
  nonce?: string;
}

/**
 * The request's `htu`: the URL without query, fragment and user info (RFC 9449 §4.2).
 * @publicApi
 */
export function dpopHtu(url: string | URL): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  parsed.username = '';
  parsed.password = '';
  return parsed.href;
}

/**
 * Signs DPoP proofs (RFC 9449 §4.2) with one key: header
 * `{ alg, typ: 'dpop+jwt', jwk }` (encoded once), claims `{ iat, jti, htm,
 * nonce?, htu, ath? }` with a fresh random `jti` each time. Signing goes
 * through node:crypto when the key is in the process, else through the
 * app's `sign` callback (KMS/HSM).
 * @publicApi
 */
export class DpopProofSigner {
  /** The JWS algorithm of every proof. */
  readonly alg: DpopClientAlgorithm;
  /** The public JWK put in every proof: `kty`, `crv`, `x`, `y`, `n`, `e` only. */
  readonly publicJwk: Readonly<DpopClientJwk>;
  /** RFC 7638 SHA-256 thumbprint of the key: the `cnf.jkt` of the tokens it gets. */
  readonly jkt: string;
  private readonly encodedHeader: string;
  private lastToken?: string;
  private lastAth?: string;

  private constructor(
    private readonly key: DpopSigningKey,
    jkt: string,
  ) {
    this.alg = key.alg;
    this.publicJwk = Object.freeze({ ...key.publicJwk });
    this.jkt = jkt;
    const header = { alg: key.alg, typ: 'dpop+jwt', jwk: this.publicJwk };
    this.encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  }

  /**
   * Makes a signer; `key` as in {@link DpopClientModuleOptions.key}, checked
   * like the module checks it (a wrong key throws {@link DpopClientConfigurationError}).
   */
  static async create(key: DpopClientKeyOptions = DPOP_CLIENT_DEFAULTS.key): Promise<DpopProofSigner> {
    const signingKey = await loadSigningKey(key);
    return new DpopProofSigner(signingKey, await calculateJwkThumbprint(signingKey.publicJwk as JWK, 'sha256'));
  }

  /**
   * A fresh proof for one request: `method` exactly as sent (e.g. `GET`) and the absolute
   * `url` (its query and fragment are left out of `htu`).
   * Throws {@link DpopClientError} `signing_failed` when the key cannot sign.
   */
  async sign(method: string, url: string | URL, options: DpopProofOptions = {}): Promise<string> {
    const claims = {
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      htm: method,
      nonce: options.nonce,
      htu: dpopHtu(url),
      ath: options.accessToken === undefined ? undefined : this.ath(options.accessToken),
    };
    const input = `${this.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    let signature: Uint8Array;
    try {
      signature = await this.key.sign(Buffer.from(input, 'latin1'));
    } catch (error) {
      throw new DpopClientError('signing_failed', 'The DPoP key could not sign a proof.', { cause: error });
    }
    return `${input}.${Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64url')}`;
  }

  /** base64url(SHA-256(token)), remembered for the last token (the same token signs many requests). */
  private ath(accessToken: string): string {
    if (accessToken !== this.lastToken) {
      this.lastAth = createHash('sha256').update(accessToken).digest('base64url');
      this.lastToken = accessToken;
    }
    return this.lastAth!;
  }
}
