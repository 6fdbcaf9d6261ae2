import { Injectable } from '@nestjs/common';
import { metrics, type Counter, type Histogram } from '@opentelemetry/api';
import { DpopError, DpopProofError, DpopUnavailableError, type DpopErrorCode } from '../dpop.errors.js';
import { DpopEvents, type DpopRefusalReason } from './dpop-events.js';

/** The duration histogram's attributes, made once (an exporter may keep them; they are frozen). */
const ACCEPTED = Object.freeze({ 'dpop.outcome': 'accepted' });
const REFUSED = Object.freeze({ 'dpop.outcome': 'refused' });

/** The reason of a refusal whose site gave none: by the code it is answered with. */
const REASON_BY_CODE: Readonly<Record<DpopErrorCode, DpopRefusalReason>> = {
  invalid_request: 'request_malformed',
  unauthorized: 'credentials_missing',
  invalid_token: 'token_invalid',
  insufficient_scope: 'insufficient_scope',
  invalid_dpop_proof: 'proof_invalid',
  use_dpop_nonce: 'nonce_required',
  temporarily_unavailable: 'unavailable',
};

/** The instrumentation scope name of the library's metrics. @publicApi */
export const DPOP_METER_NAME = 'nestjs-dpop';

/**
 * Counts what the DPoP checks decide, through `@opentelemetry/api` (a no-op until
 * the application registers an SDK meter provider, before it creates the Nest app),
 * and hands the same facts to {@link DpopEvents} subscribers.
 *
 * Instruments: `dpop.request.refused` (`dpop.reason`, `dpop.error`: every refused
 * request once), `dpop.proof.accepted`, `dpop.proof.refused` (`dpop.error`,
 * `dpop.check`), `dpop.nonce.challenges`, `dpop.token.refused` (`dpop.error`),
 * `dpop.store.failures`, and the histogram `dpop.proof.duration` (ms, `dpop.outcome`).
 * @internal
 */
@Injectable()
export class DpopTelemetry {
  private readonly accepted: Counter;
  private readonly proofsRefused: Counter;
  private readonly challenges: Counter;
  private readonly requestsRefused: Counter;
  private readonly tokensRefused: Counter;
  private readonly storeFailures: Counter;
  private readonly duration: Histogram;
  /** The refusals counted: an error seen by several layers (or GraphQL fields) is counted once. */
  private readonly counted = new WeakSet<object>();
  /** `dpop.request.refused`'s attributes by reason and code, made once each (a closed set). */
  private readonly refusalAttributes = new Map<string, Readonly<Record<string, string>>>();

  constructor(private readonly events: DpopEvents) {
    const meter = metrics.getMeter(DPOP_METER_NAME);
    this.accepted = meter.createCounter('dpop.proof.accepted', { description: 'DPoP proofs accepted' });
    this.proofsRefused = meter.createCounter('dpop.proof.refused', {
      description: 'DPoP proofs refused, by error and check',
    });
    this.challenges = meter.createCounter('dpop.nonce.challenges', { description: 'use_dpop_nonce answers' });
    this.requestsRefused = meter.createCounter('dpop.request.refused', {
      description: 'requests refused, by reason and error code',
    });
    this.tokensRefused = meter.createCounter('dpop.token.refused', { description: 'access tokens refused' });
    this.storeFailures = meter.createCounter('dpop.store.failures', {
      description: 'replay or binding store failures',
    });
    this.duration = meter.createHistogram('dpop.proof.duration', {
      description: 'time to verify a DPoP proof, replay record included',
      unit: 'ms',
    });
  }

  proofAccepted(jkt: string, method: string, started: number): void {
    const durationMs = performance.now() - started;
    this.accepted.add(1);
    this.duration.record(durationMs, ACCEPTED);
    if (this.events.active) this.events.emit({ type: 'proof.accepted', jkt, method, durationMs });
  }

  /** A proof check that threw: a refused proof, a store outage, or something else (counted as nothing). */
  proofFailed(error: unknown, started: number): void {
    const durationMs = performance.now() - started;
    if (error instanceof DpopProofError) {
      this.proofsRefused.add(1, { 'dpop.error': error.code, 'dpop.check': error.check });
      if (error.code === 'use_dpop_nonce') this.challenges.add(1);
      this.duration.record(durationMs, REFUSED);
      if (this.events.active) {
        this.events.emit({ type: 'proof.refused', code: error.code, check: error.check, durationMs });
      }
    } else if (error instanceof DpopUnavailableError) {
      this.storeFailure();
    }
  }

  /**
   * A refusal, counted once whichever layer sees `error` first: the site that knows the precise
   * `reason` reports it, the layers above report every error they pass on (their reason comes from
   * the error's code; an error that is not a `DpopError` is answered 503, `unavailable`).
   */
  refused(error: unknown, reason?: DpopRefusalReason): void {
    if (typeof error === 'object' && error !== null) {
      if (this.counted.has(error)) return;
      this.counted.add(error);
    }
    const code: DpopErrorCode = error instanceof DpopError ? error.code : 'temporarily_unavailable';
    const why = reason ?? REASON_BY_CODE[code];
    const key = `${why} ${code}`;
    let attributes = this.refusalAttributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({ 'dpop.reason': why, 'dpop.error': code });
      this.refusalAttributes.set(key, attributes);
    }
    this.requestsRefused.add(1, attributes);
    if (this.events.active) this.events.emit({ type: 'request.refused', reason: why, code });
  }

  tokenRefused(error: unknown): void {
    if (!(error instanceof DpopError)) return;
    const code = error.code === 'temporarily_unavailable' ? 'temporarily_unavailable' : 'invalid_token';
    this.tokensRefused.add(1, { 'dpop.error': code });
    if (this.events.active) this.events.emit({ type: 'token.refused', code });
  }

  storeFailure(): void {
    this.storeFailures.add(1);
    if (this.events.active) this.events.emit({ type: 'store.failure' });
  }
}
