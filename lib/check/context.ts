import { errorCodeOf, nonceOf, verdictOf } from './outcome.js';
import { htuOf, makeProof, type ProofChanges, type ProofKey } from './proofs.js';
import type { CheckResponse, Transport } from './transport.js';

/** What one protected request varies: the proof's `htu`/`htm`, the request path, the `Authorization` scheme. */
export interface DpopRequestOptions {
  /** The proof's `htu` (default: the target URL without query and fragment). */
  htu?: string;
  /** The proof's `htm` (default: the request method). */
  htm?: string;
  /** The request's path and query (default: the target's). */
  path?: string;
  /** The `Authorization` scheme (default `DPoP`). */
  scheme?: string;
  /** Retry once with the server's new nonce on `use_dpop_nonce` (default true). */
  retryOnNonce?: boolean;
}

/** A request sent and its answer; `headers` are the credential headers as sent (kept only in memory). */
export interface Sent {
  response: CheckResponse;
  headers: Record<string, string | string[]>;
}

/** What the server said about nonces so far (RFC 9449 §8, §9). */
export interface NonceState {
  /** The last `DPoP-Nonce` the server sent: every later proof carries it. */
  current?: string;
  /** The server answered `use_dpop_nonce` with a nonce at least once. */
  asked: boolean;
  /** A request retried with the server's nonce was accepted. */
  acceptedAfterAsking: boolean;
}

/**
 * What the cases share: the target, the token and keys, and two ways to send the protected request. Every
 * response's `DPoP-Nonce` becomes the nonce of the next proofs.
 */
export class CheckContext {
  readonly htu: string;
  readonly path: string;
  readonly nonce: NonceState = { asked: false, acceptedAfterAsking: false };
  /** The answer to a request without credentials, once asked (the challenge cases share it). */
  unauthenticated?: CheckResponse;
  /** Seconds the server's clock (its first `Date` header) is ahead of ours; negative when behind. */
  clockOffset?: number;

  constructor(
    readonly target: URL,
    readonly method: string,
    readonly token: string,
    readonly key: ProofKey,
    readonly otherKey: ProofKey,
    private readonly transport: Transport,
  ) {
    this.htu = htuOf(target);
    this.path = `${target.pathname}${target.search}`;
  }

  /** Sends exactly these credential headers to `path` (default: the target's). */
  async raw(headers: Record<string, string | string[]>, path = this.path): Promise<CheckResponse> {
    const response = await this.transport.send({ method: this.method, path, headers });
    const date = Date.parse(String(response.headers.date));
    if (this.clockOffset === undefined && Number.isFinite(date))
      this.clockOffset = Math.round((date - Date.now()) / 1000);
    const nonce = nonceOf(response);
    if (nonce !== undefined) this.nonce.current = nonce;
    return response;
  }

  /** A fresh proof for the protected request (with the current nonce), altered by `changes`. */
  proof(changes: ProofChanges = {}, options: DpopRequestOptions = {}): Promise<string> {
    const base = { htm: options.htm ?? this.method, htu: options.htu ?? this.htu, accessToken: this.token };
    return makeProof(this.key, { ...base, nonce: this.nonce.current }, changes);
  }

  /**
   * The protected request with the token and a fresh proof altered by `changes`; when the server answers
   * `use_dpop_nonce` with a new nonce, once more with a proof carrying it.
   */
  async dpop(changes: ProofChanges = {}, options: DpopRequestOptions = {}): Promise<Sent> {
    const path = options.path ?? this.path;
    for (let attempt = 1; ; attempt++) {
      const sentNonce = this.nonce.current;
      const headers = {
        authorization: `${options.scheme ?? 'DPoP'} ${this.token}`,
        dpop: await this.proof(changes, options),
      };
      const response = await this.raw(headers, path);
      const askedAgain = errorCodeOf(response) === 'use_dpop_nonce' && this.nonce.current !== sentNonce;
      if (askedAgain) this.nonce.asked = true;
      if (attempt > 1 && verdictOf(response) === 'accepted') this.nonce.acceptedAfterAsking = true;
      if (!askedAgain || attempt > 1 || options.retryOnNonce === false) return { response, headers };
    }
  }
}
