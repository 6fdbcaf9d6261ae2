import { Injectable } from '@nestjs/common';
import type { DpopCheck, DpopErrorCode } from '../dpop.errors.js';

/**
 * What happened to a DPoP-protected request, for audit logs and alerts. Events
 * carry outcomes and reasons, never a token, a proof or a header value.
 * @publicApi
 */
export type DpopEvent =
  /** A proof passed every check and was recorded (resource server, token or PAR endpoint). */
  | { type: 'proof.accepted'; jkt: string; method: string; durationMs: number }
  /** A proof was refused; `check` names the failed check. `use_dpop_nonce` is a nonce challenge. */
  | { type: 'proof.refused'; code: 'invalid_dpop_proof' | 'use_dpop_nonce'; check: DpopCheck; durationMs: number }
  /** The request could not be read (headers, `Host`, path) before any proof check. */
  | { type: 'request.refused'; code: 'invalid_request' }
  /** An access token was refused (`invalid_token`) or could not be checked (`temporarily_unavailable`). */
  | { type: 'token.refused'; code: Extract<DpopErrorCode, 'invalid_token' | 'temporarily_unavailable'> }
  /** The replay store (or the binding store) could not answer; the request was refused. */
  | { type: 'store.failure' };

/** A subscriber to {@link DpopEvents}. @publicApi */
export type DpopEventListener = (event: DpopEvent) => void;

/**
 * The facts the library counts as metrics, as typed events you can subscribe to:
 * `events.subscribe((event) => audit.write(event))`. Listeners run synchronously
 * on the request path: keep them quick (queue heavy work); one that throws is
 * ignored. With no listener an event costs one length check.
 * @publicApi
 */
@Injectable()
export class DpopEvents {
  private listeners: readonly DpopEventListener[] = [];

  /** Calls `listener` with every event from now on; returns the function that unsubscribes it. */
  subscribe(listener: DpopEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
    };
  }

  /** @internal */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** @internal */
  emit(event: DpopEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken audit hook must not turn an answer into a 500.
      }
    }
  }
}
