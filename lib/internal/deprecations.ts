import { Logger } from '@nestjs/common';
import { DPOP_LOGGER_CONTEXT } from '../dpop.constants.js';

const warned = new Set<string>();

/** Logs a deprecation once per process. @internal */
export function deprecated(name: string, instead: string): void {
  if (warned.has(name)) return;
  warned.add(name);
  new Logger(DPOP_LOGGER_CONTEXT).warn(`${name} is deprecated and will be removed in 1.0: use ${instead}.`);
}

/**
 * The one spelling of the per-route nonce policy, `requireNonce`, from options that
 * may still use the 0.1 name `nonce`.
 * @internal
 */
export function requireNonceOf(
  options: { requireNonce?: boolean; nonce?: boolean },
  where: string,
): boolean | undefined {
  if (options.nonce !== undefined) deprecated(`${where}({ nonce })`, `${where}({ requireNonce })`);
  return options.requireNonce ?? options.nonce;
}
