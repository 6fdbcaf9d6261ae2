/**
 * `nestjs-dpop/confirmation`: the recipient side of RFC 7800 proof-of-possession
 * keys beyond what DPoP needs: resolve any `cnf` to its key (a public key and
 * thumbprint, or the symmetric key of a `cnf.jwe`) and check a presenter's signed
 * challenge with it. `createConfirmation` and `parseConfirmation` are also in the
 * main entry.
 */
export {
  createConfirmation,
  parseConfirmation,
  type Confirmation,
  type ConfirmationInput,
  type ParsedConfirmation,
} from './confirmation.js';
export {
  resolveConfirmation,
  verifyPossession,
  type ConfirmationKey,
  type ConfirmationResolvers,
} from './resolve-confirmation.js';
export { ConfirmationError } from '../dpop.errors.js';
