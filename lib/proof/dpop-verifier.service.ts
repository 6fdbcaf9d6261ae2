import { Inject, Injectable, Logger } from '@nestjs/common';
import { hash, KeyObject, type webcrypto } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { DPOP_LOGGER_CONTEXT, DPOP_OPTIONS } from '../dpop.constants.js';
import { DpopProofError, DpopStoreUnavailableError, type DpopCheck } from '../dpop.errors.js';
import { BoundedCache } from '../internal/bounded-cache.js';
import { decodeJsonObjectSegment, deepFreeze } from '../internal/json.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import { DPOP_PROOF_TYPE, SUPPORTED_ALGORITHMS, type AlgorithmProfile, type DpopAlgorithm } from './algorithms.js';
import { DpopNonceService } from './dpop-nonce.service.js';
import type { DpopProofClaims, DpopProofHeader, DpopVerifyRequest, DpopVerifyResult } from './dpop-verify.interface.js';
import { normalizeHtu, stripQueryAndFragment } from './htu.js';
import { MAX_RSA_MODULUS_BITS, MIN_RSA_MODULUS_BITS, publicKeyOf } from './jwk-policy.js';
import { jwkThumbprint } from './jwk-thumbprint.js';
import { ProofBatch, type CheckedProof } from './proof-batch.js';
import { PROOF_REPLAY_STORE, type ProofRecord, type ProofReplayStore } from './proof-replay-store.js';
import { signatureCheck, type SignatureCheck } from './signature.js';

/** One base64url segment: a compact JWS's protected header. */
const HEADER_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** What follows the header in a compact JWS: two more base64url segments, nothing else. */
const PAYLOAD_AND_SIGNATURE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What a proof's protected header yields once checked; cached by the header's exact text. */
interface KeyEntry {
  readonly header: DpopProofHeader;
  readonly jwk: Readonly<JWK>;
  readonly jkt: string;
  readonly check: SignatureCheck;
}

function refuse(check: DpopCheck, description: string): DpopProofError {
  return new DpopProofError('invalid_dpop_proof', check, description);
}

function notCompactJws(): DpopProofError {
  return refuse('format', 'DPoP proof is not a single compact JWS');
}

/**
 * Verifies DPoP proofs: every check of RFC 9449 §4.3 (and draft-03 §4.2),
 * cheap ones first and the replay record last, so a proof that fails any
 * check consumes nothing.
 * @publicApi
 */
@Injectable()
export class DpopVerifierService {
  private readonly logger = new Logger(DPOP_LOGGER_CONTEXT);
  private readonly allowed: ReadonlyMap<string, AlgorithmProfile>;
  private readonly keys: BoundedCache<string, KeyEntry>;
  /** Normalised request URL by its exact text; null for text that is not an absolute http(s) URL. */
  private readonly targets: BoundedCache<string, string | null>;
  /** Normalised `htu` by its exact text, for proofs whose `htu` is not the request URL verbatim. */
  private readonly htus: BoundedCache<string, string | null>;
  /** See {@link scratch}. */
  private bytes = Buffer.allocUnsafe(2048);
  /** The checks of returning clients asked for in this event-loop turn (`yieldToEventLoop`). */
  private readonly batch = new ProofBatch<DpopVerifyResult>((records) => this.rememberAll(records));
  private lastStoreFailureLog = 0;
  private suppressedStoreFailures = 0;

  constructor(
    @Inject(DPOP_OPTIONS) private readonly options: ResolvedDpopOptions,
    @Inject(PROOF_REPLAY_STORE) private readonly store: ProofReplayStore,
    private readonly nonces: DpopNonceService,
  ) {
    this.allowed = new Map(options.algorithms.map((alg) => [alg, SUPPORTED_ALGORITHMS[alg]]));
    this.keys = new BoundedCache(options.keyCacheSize);
    this.targets = new BoundedCache(options.urlCacheSize);
    this.htus = new BoundedCache(options.urlCacheSize);
  }

  /** The accepted algorithms, for the `algs` parameter of a `WWW-Authenticate` challenge. */
  get algorithms(): readonly DpopAlgorithm[] {
    return this.options.algorithms;
  }

  /**
   * Checks `proof` (the `DPoP` header value) against `request` and records
   * it as used. Resolves with the proof's key, thumbprint, header and
   * claims; rejects with a {@link DpopProofError} naming the failed check,
   * or a {@link DpopStoreUnavailableError} when the replay store is down.
   *
   * A returning client (its header already checked and its key imported) costs one
   * signature check, one decode of the claims, one hash for the replay key and the
   * store's record.
   */
  verify(proof: unknown, request: DpopVerifyRequest): Promise<DpopVerifyResult> {
    return this.start(proof, request, false);
  }

  /**
   * {@link verify} for the guard and the token endpoints: with the module option
   * `yieldToEventLoop` (the default) a returning client's check runs on the next
   * `setImmediate`, back to back with the other checks asked for in this event-loop
   * turn, and their replay records go to the store in one `rememberProofs` call; the
   * proof's format is still checked at once.
   * @internal
   */
  verifyInBatch(proof: unknown, request: DpopVerifyRequest): Promise<DpopVerifyResult> {
    return this.start(proof, request, this.options.yieldToEventLoop);
  }

  private start(proof: unknown, request: DpopVerifyRequest, batched: boolean): Promise<DpopVerifyResult> {
    try {
      if (typeof request?.method !== 'string' || typeof request.url !== 'string') {
        throw new TypeError('DpopVerifierService.verify needs a request with a string method and url.');
      }
      if (typeof proof !== 'string' || proof.length === 0) throw refuse('format', 'DPoP proof is missing');
      if (proof.length > this.options.maxProofLength) throw refuse('format', 'DPoP proof is too long');
      // Three base64url segments, nothing else. A header found in the key cache passed its check when it was loaded.
      const headerEnd = proof.indexOf('.');
      if (headerEnd < 1 || !PAYLOAD_AND_SIGNATURE.test(proof.slice(headerEnd + 1))) throw notCompactJws();
      const headerSegment = proof.slice(0, headerEnd);
      const key = this.keys.get(headerSegment);
      if (!key) {
        if (!HEADER_SEGMENT.test(headerSegment)) throw notCompactJws();
        return this.loadKey(headerSegment).then((loaded) => this.checkAndRecord(loaded, proof, request));
      }
      if (batched) {
        return this.batch
          .add(() => this.check(key, proof, request))
          .then(({ result, fresh }) => this.recorded(fresh, result));
      }
      return this.checkAndRecord(key, proof, request);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Every check after the header's, then the replay record. */
  private async checkAndRecord(key: KeyEntry, proof: string, request: DpopVerifyRequest): Promise<DpopVerifyResult> {
    const { result, record } = this.check(key, proof, request);
    let fresh: boolean;
    try {
      fresh = await this.store.rememberProof(record.key, record.expiresAt);
    } catch (error) {
      throw this.storeFailed(error);
    }
    return this.recorded(fresh, result);
  }

  /** Every check after the header's: the result and its replay record, not yet written; a refusal is thrown. */
  private check(key: KeyEntry, proof: string, request: DpopVerifyRequest): CheckedProof<DpopVerifyResult> {
    const headerEnd = proof.indexOf('.');
    const signingInputEnd = proof.indexOf('.', headerEnd + 1);
    // The proof is ASCII (three base64url segments) and at most maxProofLength long: the signing input fits the bytes buffer.
    const bytes = this.scratch(proof.length);
    const signingInput = bytes.subarray(0, bytes.write(proof, 0, signingInputEnd, 'latin1'));
    const signatureLength = bytes.write(proof.slice(signingInputEnd + 1), signingInputEnd, 'base64url');
    const signature = bytes.subarray(signingInputEnd, signingInputEnd + signatureLength);
    if (!key.check(signingInput, signature)) throw refuse('signature', 'DPoP proof signature is invalid');

    const claims = this.readClaims(proof.slice(headerEnd + 1, signingInputEnd));
    if (claims.htm !== request.method) throw refuse('htm', 'DPoP proof htm does not match the request method');
    this.checkHtu(claims.htu, request.url);
    this.checkIat(claims.iat);
    if (request.accessToken !== undefined) this.checkAth(claims.ath, request);
    this.checkNonce(claims.nonce, request.requireNonce ?? this.options.nonce.required);
    if (request.jkt !== undefined && request.jkt !== key.jkt) {
      throw refuse('key_binding', 'DPoP proof key does not match the key the token is bound to');
    }
    return {
      result: { jkt: key.jkt, jwk: key.jwk, header: key.header, claims },
      record: {
        key: this.replayKey(key.jkt, claims.jti),
        expiresAt: Math.ceil((claims.iat + this.options.maxProofAge + 1) * 1000),
      },
    };
  }

  /** The records of one batch, in one call of the store; a store failure refuses them all (503). */
  private rememberAll(records: readonly ProofRecord[]): Promise<boolean[]> {
    let answers: Promise<boolean[]>;
    try {
      answers = this.store.rememberProofs(records);
    } catch (error) {
      return Promise.reject(this.storeFailed(error));
    }
    return answers.catch((error: unknown) => {
      throw this.storeFailed(error);
    });
  }

  /**
   * A buffer of at least `length` bytes, reused by every check (each is synchronous up to the
   * signature check, which copies what it reads), so a request allocates none for its signature.
   */
  private scratch(length: number): Buffer {
    if (this.bytes.length < length) this.bytes = Buffer.allocUnsafe(length);
    return this.bytes;
  }

  /**
   * The replay record's key: SHA-256 of `jkt`, a zero byte and `jti` in UTF-8, base64url. The bytes are written into
   * the scratch buffer (the signature check is done with it): `hash()` of the string costs half as much again.
   */
  private replayKey(jkt: string, jti: string): string {
    const bytes = this.scratch(jkt.length + 1 + jti.length * 3); // UTF-8: at most 3 bytes per UTF-16 code unit
    let length = bytes.write(jkt, 0, 'latin1'); // a thumbprint: base64url
    bytes[length++] = 0;
    length += bytes.write(jti, length, 'utf8');
    return hash('sha256', bytes.subarray(0, length), 'base64url');
  }

  /** Checks a protected header and imports its key. Runs once per distinct header. */
  private async loadKey(headerSegment: string): Promise<KeyEntry> {
    const header = decodeJsonObjectSegment(headerSegment);
    if (!header) throw refuse('format', 'DPoP proof header is not a JSON object with distinct member names');
    if (header.typ !== DPOP_PROOF_TYPE) throw refuse('typ', 'DPoP proof typ must be dpop+jwt');
    const alg = header.alg;
    const profile = typeof alg === 'string' ? this.allowed.get(alg) : undefined;
    if (!profile) throw refuse('alg', 'DPoP proof alg is not an accepted asymmetric algorithm');
    if (header.crit !== undefined) throw refuse('format', 'DPoP proof header has crit parameters, none are supported');

    const jwk = header.jwk as Record<string, unknown> | undefined;
    const key = publicKeyOf(jwk, { kty: profile.kty, crv: profile.crv });
    if ('problem' in key) {
      if (key.problem === 'not_a_jwk') throw refuse('jwk', 'DPoP proof jwk header is missing');
      if (key.problem === 'private') throw refuse('jwk', 'DPoP proof jwk must be a public key');
      if (key.problem === 'wrong_type') throw refuse('alg', 'DPoP proof alg does not fit the jwk key type');
      throw refuse('jwk', 'DPoP proof jwk is not a valid public key');
    }
    if (jwk!.alg !== undefined && jwk!.alg !== alg) throw refuse('alg', 'DPoP proof alg differs from the jwk alg');
    if (jwk!.use !== undefined && jwk!.use !== 'sig') throw refuse('jwk', 'DPoP proof jwk is not a signing key');

    let keyObject: KeyObject;
    try {
      keyObject = KeyObject.from((await importJWK(key.jwk, alg as string)) as webcrypto.CryptoKey);
    } catch {
      throw refuse('jwk', 'DPoP proof jwk is not a valid public key');
    }
    if (profile.kty === 'RSA') {
      const { modulusLength: bits = 0, publicExponent: e = 0n } = keyObject.asymmetricKeyDetails ?? {};
      if (bits < MIN_RSA_MODULUS_BITS || bits > MAX_RSA_MODULUS_BITS) {
        throw refuse('jwk', `DPoP proof RSA key must be ${MIN_RSA_MODULUS_BITS} to ${MAX_RSA_MODULUS_BITS} bits`);
      }
      // A huge exponent makes every signature check slow (CPU exhaustion); real keys use 65537.
      if (e < 3n || e > 0xffffffffn || e % 2n === 0n) {
        throw refuse('jwk', 'DPoP proof RSA key has an unusual public exponent');
      }
    }
    const entry: KeyEntry = {
      header: deepFreeze(header) as unknown as DpopProofHeader,
      jwk: deepFreeze(key.jwk),
      jkt: await jwkThumbprint(key.jwk),
      check: signatureCheck(profile, keyObject),
    };
    this.keys.set(headerSegment, entry);
    return entry;
  }

  private readClaims(payloadSegment: string): DpopProofClaims {
    const claims = decodeJsonObjectSegment(payloadSegment);
    if (!claims) throw refuse('format', 'DPoP proof payload is not a JSON object with distinct member names');
    const { jti, htm, htu, iat } = claims;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > this.options.maxJtiLength) {
      throw refuse('claims', `DPoP proof jti must be a string of 1 to ${this.options.maxJtiLength} characters`);
    }
    if (typeof htm !== 'string') throw refuse('claims', 'DPoP proof htm must be a string');
    if (typeof htu !== 'string') throw refuse('claims', 'DPoP proof htu must be a string');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('claims', 'DPoP proof iat must be a number');
    return claims as DpopProofClaims;
  }

  private checkHtu(htu: string, url: string): void {
    const target = stripQueryAndFragment(url);
    let expected = this.targets.get(target);
    if (expected === undefined) {
      expected = normalizeHtu(target) ?? null;
      this.targets.set(target, expected);
    }
    if (expected !== null && (htu === target || this.normalizedHtu(htu) === expected)) return;
    this.logger.debug(
      `DPoP htu mismatch: the proof names ${JSON.stringify(htu.slice(0, 200))}, the request URL is ` +
        `${JSON.stringify(target.slice(0, 200))}${expected === null ? ' (not an absolute http(s) URL)' : ''}. ` +
        'Behind a proxy, configure the public base URL.',
    );
    throw refuse('htu', 'DPoP proof htu does not match the request URL');
  }

  /** `normalizeHtu(htu)`, cached by the exact text: a client that spells its URL differently pays once. */
  private normalizedHtu(htu: string): string | null {
    let normalized = this.htus.get(htu);
    if (normalized === undefined) {
      normalized = normalizeHtu(htu) ?? null;
      this.htus.set(htu, normalized);
    }
    return normalized;
  }

  private checkIat(iat: number): void {
    const now = this.options.now() / 1000;
    if (iat < now - this.options.maxProofAge) throw refuse('iat', 'DPoP proof iat is too old');
    if (iat > now + this.options.maxClockSkew) throw refuse('iat', 'DPoP proof iat is in the future');
  }

  private checkAth(ath: unknown, request: DpopVerifyRequest): void {
    if (ath === undefined) {
      if (request.requireAth ?? this.options.requireAth) throw refuse('ath', 'DPoP proof ath is missing');
      return;
    }
    const expected = request.accessTokenHash ?? hash('sha256', String(request.accessToken), 'base64url');
    if (ath !== expected) throw refuse('ath', 'DPoP proof ath does not match the access token');
  }

  /**
   * A missing nonce where nonces are required, and a nonce that is not accepted
   * (stale, unknown, made with another secret, e.g. before a restart) on any route,
   * are answered `use_dpop_nonce` with a fresh nonce (RFC 9449 §8: "this same error
   * code is used when supplying a new nonce value when there was a nonce mismatch").
   * So a client that kept an old nonce always learns the current one and recovers on
   * its next try, whether or not the route demands nonces. Checked before the replay
   * record: such a proof consumes nothing.
   */
  private checkNonce(nonce: unknown, required: boolean): void {
    if (nonce === undefined) {
      if (required) {
        throw new DpopProofError('use_dpop_nonce', 'nonce', 'DPoP proof nonce is required', this.nonces.issue());
      }
      return;
    }
    if (typeof nonce === 'string' && this.nonces.check(nonce)) return;
    throw new DpopProofError('use_dpop_nonce', 'nonce', 'DPoP proof nonce is invalid or stale', this.nonces.issue());
  }

  /** Logs a store failure at most every 10 s (with how many were not logged), so an outage cannot flood the log. */
  private logStoreFailure(error: unknown): void {
    const now = Date.now();
    if (now - this.lastStoreFailureLog < 10_000) {
      this.suppressedStoreFailures++;
      return;
    }
    const suppressed = this.suppressedStoreFailures
      ? ` (${this.suppressedStoreFailures} more since the last report)`
      : '';
    this.lastStoreFailureLog = now;
    this.suppressedStoreFailures = 0;
    this.logger.error(`DpopStore could not record a proof; refusing it (fail closed)${suppressed}.`, error as Error);
  }

  /** A store that threw or rejected: logged (throttled), refused with 503, never accepted. */
  private storeFailed(error: unknown): DpopStoreUnavailableError {
    this.logStoreFailure(error);
    return new DpopStoreUnavailableError(error);
  }

  /** The replay record's answer: the result for a first use, a refusal for a replay. */
  private recorded(fresh: boolean, result: DpopVerifyResult): DpopVerifyResult {
    if (!fresh) throw refuse('replay', 'DPoP proof has already been used');
    return result;
  }
}
