import { Inject, Injectable } from '@nestjs/common';
import { DpopAccessTokenService, type VerifiedAccessToken } from '../access-token/dpop-access-token.service.js';
import { DPOP_OPTIONS } from '../dpop.constants.js';
import type { AccessTokenClaims } from '../access-token/access-token.interface.js';
import {
  AccessTokenError,
  DpopCredentialsRequiredError,
  DpopProofError,
  DpopRequestError,
  InsufficientScopeError,
  type DpopError,
} from '../dpop.errors.js';
import { TOKEN68 } from '../internal/patterns.js';
import type { DpopRefusalReason } from '../observability/dpop-events.js';
import { DpopTelemetry } from '../observability/dpop-telemetry.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DpopNonceService } from '../proof/dpop-nonce.service.js';
import { DpopVerifierService } from '../proof/dpop-verifier.service.js';
import type { DpopVerifyRequest, DpopVerifyResult } from '../proof/dpop-verify.interface.js';
import type { DpopBoundOptions, DpopContext } from './dpop-context.interface.js';
import type { DpopProofContext } from './dpop-proof-context.js';

/**
 * What the authenticator decides on, read from the request by its adapter (the guard, the
 * GraphQL activation, the token and PAR interceptors): data, nothing to call back.
 * @internal
 */
export interface DpopRequestFacts {
  /** The request method, as sent (`htm`). */
  readonly method: string;
  /** The absolute URL the client addressed: what the proof's `htu` must name. */
  readonly url: string;
  /** Every `Authorization` header line (from the raw headers, so duplicates are seen). */
  readonly authorization: readonly string[];
  /** Every `DPoP` header line. */
  readonly dpop: readonly string[];
}

/** How an authorization-server endpoint (token, PAR) treats the `DPoP` header. @internal */
export interface DpopEndpointPolicy {
  /** Demand a server nonce (undefined: the module's `nonce.required`). */
  readonly requireNonce?: boolean;
  /** Refuse a request without a proof (`invalid_dpop_proof`). */
  readonly requireProof: boolean;
}

/** An accepted request: its context, and a fresh nonce to send in `DPoP-Nonce` when one is due. @internal */
export interface DpopAuthentication<Context> {
  readonly context: Context;
  readonly nonce?: string;
}

/**
 * The one path through a request: takes its facts as data and answers with what it
 * may do, or rejects with a typed {@link DpopError} that the caller turns into a
 * response (`lib/http/dpop-http-errors.ts`). In order, as RFC 9449 §7 and §4.3 read:
 * the `Authorization` header (one, `DPoP` or `Bearer`, a token68), the `DPoP` header
 * (at most one, bounded), the access token (verified once and cached), then the proof
 * against the token's key, recorded last so a refusal consumes nothing.
 *
 * Resource requests are decided in two steps so that the GraphQL fields of one HTTP
 * request share the work but not the verdict: {@link verifyCredentials} verifies what
 * the request carries (once per request), {@link admit} holds it to one route's
 * options (once per guarded handler or field).
 * @internal
 */
@Injectable()
export class DpopAuthenticator {
  constructor(
    @Inject(DPOP_OPTIONS) private readonly options: ResolvedDpopOptions,
    private readonly tokens: DpopAccessTokenService,
    private readonly verifier: DpopVerifierService,
    private readonly nonces: DpopNonceService,
    private readonly telemetry: DpopTelemetry,
  ) {}

  /** A resource request checked for one route: {@link verifyCredentials}, then {@link admit}. */
  async authenticate(facts: DpopRequestFacts, route: DpopBoundOptions): Promise<DpopAuthentication<DpopContext>> {
    return this.admit(await this.verifyCredentials(facts, route), route);
  }

  /**
   * The request's credentials, verified. With `route` (a REST handler, the only route
   * of its request) that route's Bearer and nonce rules apply before anything is
   * consumed; without it (the fields of a GraphQL request) the credentials are
   * verified for every route: Bearer accepted for an unbound token, a nonce checked
   * when the proof has one. Either way {@link admit} then decides for each route.
   * A refusal is counted (`DpopTelemetry.refused`) once, with its reason.
   */
  async verifyCredentials(facts: DpopRequestFacts, route?: DpopBoundOptions): Promise<DpopContext> {
    try {
      return await this.checkCredentials(facts, route);
    } catch (error) {
      this.telemetry.refused(error);
      throw error;
    }
  }

  /**
   * Holds verified credentials to one route's options: Bearer only where the route
   * allows it, a nonce where it demands one (`use_dpop_nonce` with a fresh nonce when
   * the proof has none; the current nonce to send when it has an older one), and every
   * scope it requires (`insufficient_scope`, 403). Authentication before authorization:
   * a proof without a required nonce is answered `use_dpop_nonce` whatever its token's scopes.
   */
  admit(credentials: DpopContext, route: DpopBoundOptions): DpopAuthentication<DpopContext> {
    try {
      if (credentials.scheme === 'Bearer') {
        if (route.allowBearer !== true) {
          throw this.refuse(new AccessTokenError('Bearer tokens are not accepted here'), 'bearer_not_allowed');
        }
        assertGrantedScopes(credentials.token, route.scopes);
        return { context: credentials };
      }
      const nonce = this.nonceToSend(credentials.proof?.nonce, route.requireNonce);
      assertGrantedScopes(credentials.token, route.scopes);
      return { context: credentials, nonce };
    } catch (error) {
      this.telemetry.refused(error);
      throw error;
    }
  }

  /**
   * The proof of a request to an authorization-server endpoint (`htm` POST, `htu` the
   * endpoint, no `ath`): undefined when there is none and none is required.
   */
  async verifyEndpointProof(
    facts: DpopRequestFacts,
    policy: DpopEndpointPolicy,
  ): Promise<DpopAuthentication<DpopProofContext | undefined>> {
    try {
      const proof = this.readProofHeader(facts.dpop);
      if (proof === undefined) {
        if (policy.requireProof) {
          const error = new DpopProofError('invalid_dpop_proof', 'format', 'A DPoP proof is required');
          throw this.refuse(error, 'proof_missing');
        }
        return { context: undefined };
      }
      const checked = await this.verifyProof(proof, facts, { requireNonce: policy.requireNonce });
      return { context: proofContext(checked), nonce: this.nonceToSend(checked.claims.nonce, policy.requireNonce) };
    } catch (error) {
      this.telemetry.refused(error);
      throw error;
    }
  }

  /** {@link verifyCredentials}, uncounted: the checks in the order RFC 9449 §7 and §4.3 read. */
  private async checkCredentials(facts: DpopRequestFacts, route: DpopBoundOptions | undefined): Promise<DpopContext> {
    const { scheme, token } = this.readAuthorization(facts.authorization);
    const proof = this.readProofHeader(facts.dpop);
    if (scheme === 'DPoP' && proof === undefined) {
      throw this.refuse(new DpopRequestError('DPoP scheme without a DPoP proof'), 'proof_missing');
    }
    if (scheme === 'Bearer' && route !== undefined && !route.allowBearer) {
      throw this.refuse(new AccessTokenError('Bearer tokens are not accepted here'), 'bearer_not_allowed');
    }
    const verified = await this.verifyToken(token);
    if (scheme === 'Bearer') {
      if (verified.jkt !== undefined) {
        throw this.refuse(new AccessTokenError('a key-bound token was presented as Bearer'), 'bound_token_as_bearer');
      }
      return { scheme: 'Bearer', accessToken: token, token: verified.claims };
    }
    if (verified.jkt === undefined) {
      const error = new AccessTokenError('an unbound token was presented with the DPoP scheme');
      throw this.refuse(error, 'unbound_token_as_dpop');
    }
    const checked = await this.verifyProof(proof!, facts, {
      accessToken: token,
      accessTokenHash: verified.ath,
      jkt: verified.jkt,
      requireNonce: route === undefined ? false : route.requireNonce,
    });
    return { scheme: 'DPoP', accessToken: token, token: verified.claims, ...proofContext(checked) };
  }

  /** Counts a refusal with the reason only its site knows; returns the error to throw. */
  private refuse(error: DpopError, reason: DpopRefusalReason): DpopError {
    this.telemetry.refused(error, reason);
    return error;
  }

  /** The one `Authorization` line: its scheme and a token of bounded length. */
  private readAuthorization(lines: readonly string[]): { scheme: 'DPoP' | 'Bearer'; token: string } {
    if (lines.length > 1) throw new DpopRequestError('more than one Authorization header');
    if (lines.length === 0) throw new DpopCredentialsRequiredError('no Authorization header');
    const header = lines[0]!.trim();
    if (header === '') throw new DpopRequestError('empty Authorization header');
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const token = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme !== 'dpop' && scheme !== 'bearer') throw new DpopCredentialsRequiredError('unsupported scheme');
    if (token === '' || token.length > this.options.maxAccessTokenLength) {
      throw new DpopRequestError('malformed access token');
    }
    return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token };
  }

  /** The one `DPoP` line, or undefined (RFC 9449 §4.3 check 1): never several, empty, a list or over-long. */
  private readProofHeader(lines: readonly string[]): string | undefined {
    if (lines.length > 1) throw new DpopRequestError('more than one DPoP header', 'DPoP');
    const proof = lines[0];
    if (proof !== undefined && (proof === '' || proof.includes(',') || proof.length > this.options.maxProofLength)) {
      throw new DpopRequestError('DPoP header is empty, a list, or too long', 'DPoP');
    }
    return proof;
  }

  /** The access token verified (or found in the cache: a cached token passed the token68 check before). */
  private async verifyToken(token: string): Promise<VerifiedAccessToken> {
    const cached = this.tokens.cached(token);
    if (cached !== undefined) return cached;
    if (!TOKEN68.test(token)) throw new DpopRequestError('malformed access token');
    try {
      return await this.tokens.verify(token);
    } catch (error) {
      this.telemetry.tokenRefused(error);
      throw error;
    }
  }

  /** The proof verified against `facts` (and recorded), counted and timed. */
  private async verifyProof(
    proof: string,
    facts: DpopRequestFacts,
    expect: Omit<DpopVerifyRequest, 'method' | 'url'>,
  ): Promise<DpopVerifyResult> {
    const started = performance.now();
    try {
      const result = await this.verifier.verifyInBatch(proof, { method: facts.method, url: facts.url, ...expect });
      this.telemetry.proofAccepted(result.jkt, facts.method, started);
      return result;
    } catch (error) {
      this.telemetry.proofFailed(error, started);
      throw error;
    }
  }

  /**
   * Where a route or endpoint demands nonces: a proof without one is answered
   * `use_dpop_nonce` with a fresh nonce; one with an older (still accepted) nonce gets
   * the current one to send, so a client rolls over without a failed request (RFC 9449
   * §8.2, §9).
   */
  private nonceToSend(nonce: string | undefined, requireNonce: boolean | undefined): string | undefined {
    if (!(requireNonce ?? this.options.nonce.required)) return undefined;
    const current = this.nonces.issue();
    if (nonce === undefined)
      throw new DpopProofError('use_dpop_nonce', 'nonce', 'DPoP proof nonce is required', current);
    return nonce === current ? undefined : current;
  }
}

/**
 * Refuses a token that does not grant every one of `required` (none: nothing to check). Granted are
 * the names in `scope` (a space-separated string: RFC 9068, RFC 7662, RFC 8693) and in `scp` (an array,
 * as Okta sends it, or a space-separated string, as Microsoft Entra does); other values grant nothing.
 */
function assertGrantedScopes(claims: AccessTokenClaims, required: readonly string[] | undefined): void {
  if (required === undefined || required.length === 0) return;
  const granted = new Set<string>(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
  const { scp } = claims;
  if (typeof scp === 'string') for (const name of scp.split(' ')) granted.add(name);
  else if (Array.isArray(scp)) for (const name of scp as unknown[]) if (typeof name === 'string') granted.add(name);
  const missing = required.filter((scope) => !granted.has(scope));
  if (missing.length > 0) {
    // The names come from the route's options, never from the token.
    throw new InsufficientScopeError(`the access token lacks the scope ${missing.join(' ')}`, required);
  }
}

/** What `@Dpop()` shows of an accepted proof. */
function proofContext(result: DpopVerifyResult): DpopProofContext {
  return { jkt: result.jkt, jwk: result.jwk, proof: result.claims, proofHeader: result.header };
}
