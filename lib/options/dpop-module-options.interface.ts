import type { JWK } from 'jose';
import type { AccessTokenOptions } from '../access-token/access-token.interface.js';
import type { JkuOptions } from '../confirmation/jku-fetcher.js';
import type { DpopAlgorithm } from '../proof/algorithms.js';
import type { DpopStore } from '../storage/dpop-store.js';

/**
 * Server nonce settings (RFC 9449 §8, §9). Nonces are stateless: an HMAC of a
 * time step under `secret`, so every instance that shares the secret accepts
 * the nonces of the others.
 * @publicApi
 */
export interface DpopNonceOptions {
  /**
   * Demand a server nonce in every proof. A proof without one, or with a
   * stale or wrong one, fails with `use_dpop_nonce` and the error carries a
   * fresh nonce for the client to retry with.
   * @default false
   */
  required?: boolean;
  /**
   * HMAC secret, at least 32 bytes (a string is taken as UTF-8). Give every
   * instance the same secret when you run more than one.
   * @default a random secret made at start-up (single instance only)
   */
  secret?: string | Uint8Array;
  /**
   * Length of one time step, in seconds. A new nonce is issued each step.
   * @default 60
   */
  stepSeconds?: number;
  /**
   * How many steps a nonce stays valid, counting the one it was issued in.
   * With the defaults a nonce lives between 2 and 3 minutes.
   * @default 3
   */
  acceptedSteps?: number;
}

/**
 * Options of {@link DpopModule}. Every field is optional; the defaults follow
 * RFC 9449 and are listed on each field.
 * @publicApi
 */
export interface DpopModuleOptions {
  /**
   * JWS algorithms accepted for proofs. Only asymmetric algorithms can be
   * listed; `none` and HS* are refused at start-up.
   * @default ['ES256','ES384','ES512','PS256','PS384','PS512','RS256','RS384','RS512','EdDSA','Ed25519']
   */
  algorithms?: DpopAlgorithm[];
  /**
   * Longest `DPoP` header value accepted, in characters. Long enough for an
   * RSA-8192 key; anything longer is refused before it is decoded.
   * @default 8192
   */
  maxProofLength?: number;
  /**
   * Longest `jti` accepted, in characters (RFC 9449 §11.1 asks servers to
   * refuse needlessly large values).
   * @default 256
   */
  maxJtiLength?: number;
  /**
   * How old a proof's `iat` may be, in seconds. The replay record of a proof
   * is kept exactly this long after its `iat`.
   * @default 60
   */
  maxProofAge?: number;
  /**
   * How far in the future a proof's `iat` may be, in seconds (client clocks run fast).
   * @default 30
   */
  maxClockSkew?: number;
  /**
   * Demand the `ath` claim whenever an access token is presented (RFC 9449).
   * Set `false` to accept draft-03 clients that send no `ath`; an `ath` that
   * is present is still checked.
   * @default true
   */
  requireAth?: boolean;
  /** Server nonce settings. */
  nonce?: DpopNonceOptions;
  /**
   * How many imported client keys to keep, keyed by the proof's exact
   * protected header, so a returning client costs one signature check.
   * @default 1000
   */
  keyCacheSize?: number;
  /**
   * Where replay records go. Give a shared store (e.g. the TypeORM one) when
   * several instances serve the same clients.
   * @default a MemoryDpopStore holding up to 100,000 records
   */
  store?: DpopStore;
  /**
   * How `DpopGuard` verifies access tokens: `{ type: 'jwt', issuer, audience,
   * jwksUri | keys }`, `{ type: 'introspection', endpoint, clientId,
   * clientSecret, audience }` (RFC 7662) or `{ type: 'custom', verify }`.
   * Required when the guard is used.
   */
  accessToken?: AccessTokenOptions;
  /**
   * Verified access tokens are cached (never past their `exp`) so a token
   * reused across requests is verified once. Introspection answers are kept
   * only `accessToken.cacheSeconds` (default 0), at most `maxTtlSeconds`.
   * @default { maxEntries: 10000, maxTtlSeconds: 300 }
   */
  accessTokenCache?: { maxEntries?: number; maxTtlSeconds?: number };
  /**
   * Longest `Authorization` credential accepted, in characters.
   * @default 16384
   */
  maxAccessTokenLength?: number;
  /**
   * The public URL the API is reached at, with any path prefix a proxy
   * strips, e.g. `https://api.example.com/v1`. The URL a proof must name
   * (`htu`) is this plus the request path. Set it behind a proxy.
   * @default built from the request (see `trustProxy`)
   */
  publicUrl?: string;
  /**
   * Without `publicUrl`, build the URL from `X-Forwarded-Proto`,
   * `X-Forwarded-Host` and `X-Forwarded-Prefix`. Only when a proxy you
   * control sets (and overwrites) them.
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Without `publicUrl`, the host names (with an optional port:
   * `api.example.com`, `localhost:3000`) the request URL may name. A request
   * whose `Host` (or, with `trustProxy`, `X-Forwarded-Host`) is not listed is
   * refused with `400 invalid_request` before any proof is looked at. An entry
   * without a port allows any port. Set this or `publicUrl`: otherwise the
   * client chooses the host its proofs are checked against (a warning is
   * logged at start-up).
   * @default any syntactically valid host
   */
  allowedHosts?: string[];
  /**
   * With `DpopGuard` registered as `APP_GUARD`, protect every route, not only
   * those marked `@DpopBound()`; mark exceptions with `@SkipDpop()`. Routes
   * without `@DpopBound()` then get its defaults.
   * @default false
   */
  protectAllRoutes?: boolean;
  /**
   * Let `DpopGuard` batch its work by event-loop turn. A returning client's
   * proof (its key already imported) gets its format checked at once and the
   * rest of its check (the signature, the claims, the replay record) on the
   * event loop's next check phase (`setImmediate`), back to back with the
   * other checks asked for in the same turn; the handlers run after them.
   * (A direct `DpopVerifierService.verify()` call checks at once.) Running the same costly code N times in a
   * row keeps it and its data in the CPU's caches, where interleaving it with
   * each request's HTTP work evicts them: measured here, 15–25% less server
   * CPU per request and that much more throughput on Express and Fastify
   * (`npm run bench`). The price is one loop turn before the handler, a few µs
   * on an idle server. `false`: every check runs at once, in the request's turn.
   * @default true
   */
  yieldToEventLoop?: boolean;
  /** Resolves `cnf.kid` (RFC 7800 §3.4) to the public JWK it names. */
  resolveKid?: (kid: string) => Promise<JWK | undefined> | JWK | undefined;
  /** Accept `cnf.jku` (RFC 7800 §3.5) from these hosts, with these limits. @default refused */
  jku?: JkuOptions;
  /**
   * The clock, in milliseconds since the epoch. Meant for tests.
   * @default Date.now
   */
  now?: () => number;
}
