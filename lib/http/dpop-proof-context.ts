import type { JWK } from 'jose';
import type { DpopProofClaims, DpopProofHeader } from '../proof/dpop-verify.interface.js';

/**
 * An accepted DPoP proof of a request: what `@Dpop()` returns at a token (or PAR)
 * endpoint. Put `cnf: { jkt }` into the tokens you mint for it. A class (with
 * nothing to construct) so that it can type a decorated parameter under
 * `isolatedModules` + `emitDecoratorMetadata` with a plain import.
 * @publicApi
 */
export class DpopProofContext {
  /** RFC 7638 SHA-256 thumbprint of the proof key: the value for `cnf.jkt`. */
  declare readonly jkt: string;
  /** The proof's public key. */
  declare readonly jwk: Readonly<JWK>;
  /** Claims of the proof. */
  declare readonly proof: DpopProofClaims;
  /** Protected header of the proof. */
  declare readonly proofHeader: DpopProofHeader;
}
