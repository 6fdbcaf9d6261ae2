import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DPOP_OPTIONS } from '../dpop.constants.js';
import { DpopRequestError } from '../dpop.errors.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DpopNonceService } from '../proof/dpop-nonce.service.js';
import { DpopVerifierService } from '../proof/dpop-verifier.service.js';
import type { DpopVerifyResult } from '../proof/dpop-verify.interface.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import type { DpopProofContext } from './dpop-proof-context.js';
import { assertNoDotSegments, nodeRequest, requestTarget, type HttpRequest } from './dpop-request.js';

/** A request read for its proof; nothing consumed yet. @internal */
export interface ReadProofRequest {
  /** The one `DPoP` header value, or undefined when the request has none. */
  proof: string | undefined;
  method: string;
  /** The absolute URL the proof's `htu` must name. */
  url: string;
}

/** What the side that runs the step adds to the check. @internal */
export interface ProofExpectations {
  /** The access token presented with the proof (resource requests): demands `ath`. */
  accessToken?: string;
  /** base64url(SHA-256(accessToken)), when known (cached with the verified token). */
  accessTokenHash?: string;
  /** The thumbprint the token is bound to: the proof key must have it. */
  jkt?: string;
  /** Demand a server nonce (undefined: the module's `nonce.required`). */
  requireNonce?: boolean;
  /** Check on the next `setImmediate` with the turn's other checks (the guard's `yieldToEventLoop`). */
  batched?: boolean;
}

/**
 * The one request-level proof step of the library, shared by `DpopGuard`, the
 * token endpoint and the PAR endpoint, as node-oidc-provider shares one DPoP
 * validator between its grants and its resource side: read the `DPoP` header
 * (exactly one, bounded), refuse a path with dot segments, build the URL the
 * proof must name (validated `Host` / `X-Forwarded-*`), verify, and on success
 * hand out a fresh nonce when one is due. Refusals are typed `DpopError`s; each
 * side only formats them (RFC 9449 §7.1 challenge or RFC 6749 §5.2 JSON).
 *
 * Nonce on success, the same on both sides: where nonces are required and the
 * proof carried an older (still accepted) nonce, the response carries the
 * current one in `DPoP-Nonce` (RFC 9449 §8.2, §9), so a client rolls over
 * without a failed request.
 * @internal
 */
@Injectable()
export class DpopProofStep {
  constructor(
    @Inject(DPOP_OPTIONS) private readonly options: ResolvedDpopOptions,
    private readonly verifier: DpopVerifierService,
    private readonly nonces: DpopNonceService,
    private readonly adapterHost: HttpAdapterHost,
    private readonly telemetry: DpopTelemetry,
  ) {}

  /**
   * Reads what the proof is checked against, consuming nothing: from the `DPoP`
   * header lines (`dpop`, from the raw headers), refuses several `DPoP` headers, an empty or comma-joined or over-long one, a path with a dot
   * segment, and (through `url`) a `Host` or `X-Forwarded-*` that is not a plain
   * host, scheme or path.
   */
  read(request: HttpRequest, dpop: readonly string[], url: (request: HttpRequest) => string): ReadProofRequest {
    if (dpop.length > 1) throw new DpopRequestError('more than one DPoP header', 'DPoP');
    const proof = dpop[0];
    if (proof !== undefined && (proof === '' || proof.includes(',') || proof.length > this.options.maxProofLength)) {
      throw new DpopRequestError('DPoP header is empty, a list, or too long', 'DPoP');
    }
    assertNoDotSegments(requestTarget(request));
    return { proof, method: nodeRequest(request).method ?? '', url: url(request) };
  }

  /**
   * Verifies the proof read by {@link read} (recording its use) and answers with its context: the context
   * itself when nothing had to be awaited (a returning client on a synchronous store), else a promise. A
   * refusal is thrown or rejected.
   */
  verify(
    read: ReadProofRequest,
    response: unknown,
    expect: ProofExpectations,
  ): DpopProofContext | Promise<DpopProofContext> {
    const started = performance.now();
    const failed = (error: unknown): never => {
      this.telemetry.proofFailed(error, started);
      throw error;
    };
    let result: ReturnType<DpopVerifierService['verifyNow']>;
    try {
      result = this.verifier.verifyNow(
        read.proof,
        {
          method: read.method,
          url: read.url,
          accessToken: expect.accessToken,
          accessTokenHash: expect.accessTokenHash,
          jkt: expect.jkt,
          requireNonce: expect.requireNonce,
        },
        expect.batched,
      );
    } catch (error) {
      return failed(error);
    }
    if (result instanceof Promise) {
      return result.then((accepted) => this.accepted(accepted, read, response, expect, started), failed);
    }
    return this.accepted(result, read, response, expect, started);
  }

  /** A verified proof: counted, a fresh nonce handed out when one is due, and its context. */
  private accepted(
    result: DpopVerifyResult,
    read: ReadProofRequest,
    response: unknown,
    expect: ProofExpectations,
    started: number,
  ): DpopProofContext {
    this.telemetry.proofAccepted(result.jkt, read.method, started);
    if ((expect.requireNonce ?? this.options.nonce.required) && result.claims.nonce !== this.nonces.issue()) {
      this.adapterHost.httpAdapter.setHeader(response, 'DPoP-Nonce', this.nonces.issue());
    }
    return { jkt: result.jkt, jwk: result.jwk, proof: result.claims, proofHeader: result.header };
  }
}
