import { Injectable } from '@nestjs/common';
import type { DpopCheck, DpopErrorCode } from '../dpop.errors.js';

/**
 * Why a request was refused: a closed set, the `reason` of a `request.refused` event and the
 * `dpop.reason` attribute of the `dpop.request.refused` metric. Never the token or the proof.
 * - `request_malformed` (`invalid_request`): duplicated, empty or malformed `Authorization` or `DPoP`
 *   headers, a malformed token, a `Host` / `X-Forwarded-*` that is not allowed, a dot segment in the path,
 *   a repeated token-endpoint parameter;
 * - `credentials_missing` (`unauthorized`): no `Authorization` header, or a scheme other than DPoP and Bearer;
 * - `proof_missing` (`invalid_request`, `invalid_dpop_proof` at a token or PAR endpoint that requires one):
 *   the `DPoP` scheme, or an endpoint that requires a proof, without a `DPoP` header;
 * - `bearer_not_allowed` (`invalid_token`): the `Bearer` scheme on a route without `allowBearer` (refused
 *   before the token is read: a key-bound token sent there is counted here);
 * - `bound_token_as_bearer` (`invalid_token`): a key-bound token sent with the `Bearer` scheme where Bearer
 *   is allowed (an `allowBearer` route, a GraphQL request), the signal of a token used without its key (stolen);
 * - `unbound_token_as_dpop` (`invalid_token`): a token without `cnf` sent with the `DPoP` scheme;
 * - `token_invalid` (`invalid_token`): the access token is not valid (signature, `exp`, `aud`, inactive,
 *   refused by a custom verifier, an unusable `cnf`);
 * - `proof_invalid` (`invalid_dpop_proof`): the proof failed a check (see the `proof.refused` event's `check`);
 * - `nonce_required` (`use_dpop_nonce`): a server nonce is required and the proof has none, or not a current one;
 * - `insufficient_scope` (`insufficient_scope`): the token lacks a scope the route requires;
 * - `unavailable` (`temporarily_unavailable`): the replay store, the issuer's keys, introspection or a `jku`
 *   server could not answer, or the check failed unexpectedly: refused with 503;
 * - `not_http` (`invalid_request`): a protected handler was called without an HTTP request (a WebSocket
 *   gateway, a microservice, a GraphQL subscription).
 * @publicApi
 */
export type DpopRefusalReason =
  | 'request_malformed'
  | 'credentials_missing'
  | 'proof_missing'
  | 'bearer_not_allowed'
  | 'bound_token_as_bearer'
  | 'unbound_token_as_dpop'
  | 'token_invalid'
  | 'proof_invalid'
  | 'nonce_required'
  | 'insufficient_scope'
  | 'unavailable'
  | 'not_http';

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
  /**
   * A request was refused, for `reason`, and answered `code`: every refusal, once (a GraphQL request once
   * for its credentials, then once per field its route refuses). `proof.refused`, `token.refused` and
   * `store.failure` tell more about the check that failed.
   */
  | { type: 'request.refused'; reason: DpopRefusalReason; code: DpopErrorCode }
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
