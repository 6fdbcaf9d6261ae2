import type { JWK } from 'jose';
import type { DpopProofClaims, DpopProofHeader } from '../proof/dpop-verify.interface.js';
import type { AccessTokenClaims } from '../access-token/access-token.interface.js';

/**
 * What `DpopGuard` puts on the request (`request.dpop`, or `@Dpop()`). A class
 * (with nothing to construct) so that it can type a decorated parameter under
 * `isolatedModules` + `emitDecoratorMetadata` with a plain import.
 * @publicApi
 */
export class DpopContext {
  /** `DPoP` for a key-bound token with a valid proof; `Bearer` where a route allows unbound tokens. */
  declare readonly scheme: 'DPoP' | 'Bearer';
  /** The access token as presented. */
  declare readonly accessToken: string;
  /** Claims of the verified access token. */
  declare readonly token: AccessTokenClaims;
  /** Thumbprint of the proof key (DPoP only). */
  declare readonly jkt?: string;
  /** The proof's public key (DPoP only). */
  declare readonly jwk?: Readonly<JWK>;
  /** Claims of the proof (DPoP only). */
  declare readonly proof?: DpopProofClaims;
  /** Header of the proof (DPoP only). */
  declare readonly proofHeader?: DpopProofHeader;
}

/**
 * Options of `@DpopBound()` for a controller or a handler.
 * @publicApi
 */
export interface DpopBoundOptions {
  /** Let unbound tokens come with the `Bearer` scheme on this route. Bound tokens never may. @default false */
  allowBearer?: boolean;
  /** Demand a server nonce in proofs on this route. @default the module's `nonce.required` */
  requireNonce?: boolean;
  /**
   * OAuth scopes the token must grant, every one of them, e.g. `['orders:read']`: read from the token's
   * `scope` (a space-separated string, RFC 9068 and RFC 7662 introspection) and `scp` (an array, or a
   * space-separated string) claims. A token without them is answered 403 `insufficient_scope` (RFC 6750
   * §3.1). Each must be an RFC 6749 §3.3 scope token. @default none required
   */
  scopes?: readonly string[];
}
