import type { JWK } from 'jose';
import type { AccessTokenClaims } from './access-token/access-token.interface.js';
import type { DpopProofClaims, DpopProofHeader } from '../proof/dpop-verify.interface.js';

/**
 * What `DpopGuard` puts on the request (`request.dpop`, or `@Dpop()`).
 * @publicApi
 */
export interface DpopContext {
  /** `DPoP` for a key-bound token with a valid proof; `Bearer` where a route allows unbound tokens. */
  scheme: 'DPoP' | 'Bearer';
  /** The access token as presented. */
  accessToken: string;
  /** Claims of the verified access token. */
  token: AccessTokenClaims;
  /** Thumbprint of the proof key (DPoP only). */
  jkt?: string;
  /** The proof's public key (DPoP only). */
  jwk?: Readonly<JWK>;
  /** Claims of the proof (DPoP only). */
  proof?: DpopProofClaims;
  /** Header of the proof (DPoP only). */
  proofHeader?: DpopProofHeader;
}

/**
 * Options of `@DpopBound()` for a controller or a handler.
 * @publicApi
 */
export interface DpopBoundOptions {
  /** Let unbound tokens come with the `Bearer` scheme on this route. Bound tokens never may. @default false */
  allowBearer?: boolean;
  /** Demand a server nonce in proofs on this route. @default the module's `nonce.required` */
  nonce?: boolean;
}
