import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, timingSafeEqual, type KeyObject, createSecretKey } from 'node:crypto';
import { DPOP_LOGGER_CONTEXT, DPOP_OPTIONS } from '../dpop.constants.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';

/** Longest nonce worth checking; ours are far shorter. @internal */
const MAX_NONCE_LENGTH = 64;
const MAC_BYTES = 16;
/** base64url of MAC_BYTES bytes. */
const MAC_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Issues and checks server nonces (RFC 9449 §8, §9) without state: a nonce
 * is a time step and an HMAC of it, valid for `nonce.acceptedSteps` steps.
 * Instances that share `nonce.secret` accept each other's nonces.
 * @publicApi
 */
@Injectable()
export class DpopNonceService {
  private readonly key: KeyObject;
  private readonly stepMs: number;
  private readonly acceptedSteps: number;
  private readonly now: () => number;
  private cached = { step: Number.NaN, nonce: '' };

  constructor(@Inject(DPOP_OPTIONS) options: ResolvedDpopOptions) {
    this.key = createSecretKey(options.nonce.secret);
    this.stepMs = options.nonce.stepSeconds * 1000;
    this.acceptedSteps = options.nonce.acceptedSteps;
    this.now = options.now;
    if (options.nonce.required && options.nonce.generatedSecret) {
      new Logger(DPOP_LOGGER_CONTEXT).log(
        'No nonce.secret configured: nonces are signed with a random secret and only this instance accepts them. ' +
          'Set nonce.secret (32+ bytes, shared) when you run several instances.',
      );
    }
  }

  /** The nonce to hand out now (the same one for the whole current step). */
  issue(): string {
    const step = this.currentStep();
    if (this.cached.step !== step) this.cached = { step, nonce: `${step.toString(36)}.${this.mac(step)}` };
    return this.cached.nonce;
  }

  /** True when `nonce` was issued by a server with this secret within the accepted steps. */
  check(nonce: string): boolean {
    if (typeof nonce !== 'string' || nonce.length > MAX_NONCE_LENGTH) return false;
    if (nonce === this.cached.nonce && this.cached.step === this.currentStep()) return true;
    const dot = nonce.indexOf('.');
    if (dot < 1 || !/^[0-9a-z]{1,12}$/.test(nonce.slice(0, dot))) return false;
    const step = parseInt(nonce.slice(0, dot), 36);
    if (step.toString(36) !== nonce.slice(0, dot)) return false;
    const age = this.currentStep() - step;
    if (age < 0 || age >= this.acceptedSteps) return false;
    const mac = nonce.slice(dot + 1);
    if (!MAC_PATTERN.test(mac)) return false;
    return timingSafeEqual(Buffer.from(this.mac(step), 'latin1'), Buffer.from(mac, 'latin1'));
  }

  private currentStep(): number {
    return Math.floor(this.now() / this.stepMs);
  }

  private mac(step: number): string {
    return createHmac('sha256', this.key)
      .update(`dpop-nonce:${step}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}
