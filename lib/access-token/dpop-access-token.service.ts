import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { DPOP_OPTIONS } from '../dpop.constants.js';
import { AccessTokenError, ConfirmationError } from '../dpop.errors.js';
import { BoundedCache } from '../internal/bounded-cache.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { parseConfirmation } from '../confirmation/confirmation.js';
import { resolveConfirmation } from '../confirmation/resolve-confirmation.js';
import { JkuFetcher } from '../confirmation/jku-fetcher.js';
import type { AccessTokenClaims } from './access-token.interface.js';
import { AccessTokenVerifier } from './access-token.verifier.js';

/** A verified token and the key it is bound to, if any. @publicApi */
export interface VerifiedAccessToken {
  claims: AccessTokenClaims;
  /** SHA-256 thumbprint of the key the token is bound to; undefined for an unbound token. */
  jkt?: string;
  /** base64url(SHA-256(token)): the `ath` a proof presented with it must carry, computed once per token. */
  ath: string;
}

/**
 * Verifies access tokens with the configured verifier (module option
 * `accessToken`), resolves their `cnf` to a key thumbprint, and caches the
 * result (bounded, never past `exp`), so a token reused across requests is
 * verified once. Introspection answers are kept only `accessToken.cacheSeconds`
 * (default 0: never), so a token the authorization server revokes stops working;
 * a refusal is never kept.
 * @publicApi
 */
@Injectable()
export class DpopAccessTokenService {
  private readonly cache: BoundedCache<string, VerifiedAccessToken>;
  private readonly jku?: JkuFetcher;
  /** How long a verification is kept, in ms (0: not at all). */
  private readonly maxTtlMs: number;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    @Inject(DPOP_OPTIONS) private readonly options: ResolvedDpopOptions,
  ) {
    this.cache = new BoundedCache(options.accessTokenCache.maxEntries, options.now);
    const seconds =
      options.accessToken?.type === 'introspection'
        ? options.accessToken.cacheSeconds
        : options.accessTokenCache.maxTtlSeconds;
    this.maxTtlMs = seconds * 1000;
    if (options.jku) this.jku = new JkuFetcher(options.jku, options.now);
  }

  /**
   * The token's verification when it is cached (checked before, not yet past its
   * `exp` or the cache's TTL); undefined otherwise. Nothing is verified here.
   * @internal
   */
  cached(token: string): VerifiedAccessToken | undefined {
    return this.cache.get(token);
  }

  /**
   * Resolves the token, or throws {@link AccessTokenError} / {@link ConfirmationError}
   * (`invalid_token`) or `DpopUnavailableError` (it could not be checked).
   */
  async verify(token: string): Promise<VerifiedAccessToken> {
    const hit = this.cache.get(token);
    if (hit !== undefined) return hit;
    const now = this.options.now();
    const claims = await this.verifier.verify(token);
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) {
      throw new AccessTokenError('access token has expired');
    }
    const verified = { claims, jkt: await this.boundKey(claims), ath: hash('sha256', token, 'base64url') };
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
    if (this.maxTtlMs > 0) this.cache.set(token, verified, Math.min(exp, now + this.maxTtlMs));
    return verified;
  }

  private async boundKey(claims: AccessTokenClaims): Promise<string | undefined> {
    if (claims.cnf === undefined) {
      if (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() === 'dpop') {
        throw new AccessTokenError('token_type is DPoP but the token has no cnf');
      }
      return undefined;
    }
    const parsed = parseConfirmation(claims.cnf);
    if (parsed.method === 'jwe') {
      throw new ConfirmationError('cnf.jwe confirms a symmetric key, which cannot sign a DPoP proof');
    }
    const key = await resolveConfirmation(parsed, {
      resolveKid: this.options.resolveKid,
      fetchJwks: this.jku?.fetchJwks,
    });
    if (key.kind === 'symmetric') throw new ConfirmationError('cnf confirms a symmetric key');
    return key.jkt;
  }
}
