import { Inject, Injectable } from '@nestjs/common';
import { DPOP_OPTIONS } from '../../dpop.constants.js';
import type { ResolvedDpopOptions } from '../../options/resolve-dpop-options.js';
import { ConfirmationError, parseConfirmation, resolveConfirmation } from '../../confirmation/confirmation.js';
import { JkuFetcher } from '../../confirmation/jku-fetcher.js';
import type { AccessTokenClaims } from './access-token.interface.js';
import { AccessTokenError, AccessTokenVerifier } from './access-token.verifier.js';

/** A verified token and the key it is bound to, if any. @publicApi */
export interface VerifiedAccessToken {
  claims: AccessTokenClaims;
  /** SHA-256 thumbprint of the key the token is bound to; undefined for an unbound token. */
  jkt?: string;
}

/**
 * Verifies access tokens with the configured {@link AccessTokenVerifier},
 * resolves their `cnf` to a key thumbprint, and caches the result (bounded,
 * never past `exp`), so a token reused across requests is verified once.
 * @publicApi
 */
@Injectable()
export class DpopAccessTokenService {
  private readonly cache = new Map<string, { expiresAt: number; token: VerifiedAccessToken }>();
  private readonly jku?: JkuFetcher;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    @Inject(DPOP_OPTIONS) private readonly options: ResolvedDpopOptions,
  ) {
    if (options.jku) this.jku = new JkuFetcher(options.jku, options.now);
  }

  /** Resolves the token, or throws {@link AccessTokenError} (invalid token) or another error (could not check). */
  async verify(token: string): Promise<VerifiedAccessToken> {
    const now = this.options.now();
    const hit = this.cache.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt > now) return hit.token;
      this.cache.delete(token);
    }
    const claims = await this.verifier.verify(token);
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= now)
      throw new AccessTokenError('access token has expired');
    const verified = { claims, jkt: await this.boundKey(claims) };
    this.remember(token, verified, now);
    return verified;
  }

  private async boundKey(claims: AccessTokenClaims): Promise<string | undefined> {
    if (claims.cnf === undefined) {
      if (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() === 'dpop') {
        throw new AccessTokenError('token_type is DPoP but the token has no cnf');
      }
      return undefined;
    }
    try {
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
    } catch (error) {
      if (error instanceof ConfirmationError) throw new AccessTokenError(error.message, { cause: error });
      throw error;
    }
  }

  private remember(token: string, verified: VerifiedAccessToken, now: number): void {
    const { maxEntries, maxTtlSeconds } = this.options.accessTokenCache;
    if (maxEntries === 0 || maxTtlSeconds === 0) return;
    const exp = typeof verified.claims.exp === 'number' ? verified.claims.exp * 1000 : Number.POSITIVE_INFINITY;
    const expiresAt = Math.min(exp, now + maxTtlSeconds * 1000);
    if (this.cache.size >= maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, { expiresAt, token: verified });
  }
}
