import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AccessTokenError, DpopUnavailableError } from '../dpop.errors.js';
import { isObject } from '../internal/json.js';
import { fetchLimited } from '../internal/limited-fetch.js';
import type {
  ResolvedDpopOptions,
  ResolvedIntrospectionAccessTokenOptions,
  ResolvedJwtAccessTokenOptions,
} from '../options/resolved-dpop-options.interface.js';
import type { AccessTokenClaims, CustomAccessTokenOptions } from './access-token.interface.js';

/** jose's codes for a key set that could not be had: we cannot tell whether the token is good (503). */
const KEY_SET_UNAVAILABLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

/**
 * Turns an access token into its claims, or throws {@link AccessTokenError}
 * (the token is not valid) or {@link DpopUnavailableError} (it could not be
 * checked). Chosen by the module option `accessToken`.
 * @internal
 */
export abstract class AccessTokenVerifier {
  abstract verify(token: string): Promise<AccessTokenClaims>;
}

/** RFC 9068 §2.2: the claims a JWT access token must carry. */
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/** The reason jose gave, for the debug log: its code and, for a claim check, the claim (`ERR_… aud`). */
function joseReason(error: unknown): string {
  const { code, claim } = error as { code?: unknown; claim?: unknown };
  const parts = [typeof code === 'string' ? code : (error as Error)?.name, typeof claim === 'string' ? claim : ''];
  return parts.filter(Boolean).join(' ');
}

/** @internal */
export class JwtAccessTokenVerifier extends AccessTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  constructor(private readonly options: ResolvedJwtAccessTokenOptions) {
    super();
    this.keys = options.jwksUri
      ? createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: options.jwksTimeoutMs })
      : createLocalJWKSet({ keys: options.keys ?? [] });
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockTolerance,
        typ: this.options.typ,
        ...(this.options.profile === 'rfc9068' ? { requiredClaims: RFC9068_CLAIMS } : {}),
      });
      if (this.options.profile === 'rfc9068') {
        for (const claim of ['sub', 'client_id', 'jti']) {
          if (typeof payload[claim] !== 'string' || payload[claim] === '') {
            throw new AccessTokenError(`access token JWT is not valid (RFC 9068: ${claim} is not a string)`);
          }
        }
      }
      return payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof AccessTokenError) throw error;
      const code = (error as { code?: string }).code;
      if ((code !== undefined && KEY_SET_UNAVAILABLE.has(code)) || error instanceof TypeError) {
        throw new DpopUnavailableError('the JWK set of the access-token issuer could not be fetched', { cause: error });
      }
      throw new AccessTokenError(`access token JWT is not valid (${joseReason(error)})`, { cause: error });
    }
  }
}

/** @internal */
export class IntrospectionAccessTokenVerifier extends AccessTokenVerifier {
  private readonly endpoint: URL;
  private readonly authorization: string;
  /** The accepted `aud` values; undefined with `audience: false`. */
  private readonly audiences?: ReadonlySet<string>;
  private readonly issuers?: ReadonlySet<string>;
  constructor(private readonly options: ResolvedIntrospectionAccessTokenOptions) {
    super();
    this.endpoint = new URL(options.endpoint);
    if (options.audience !== false) this.audiences = new Set([options.audience].flat());
    if (options.issuer !== undefined) this.issuers = new Set([options.issuer].flat());
    const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const { timeoutMs, maxBytes, ca } = this.options;
    const response = await fetchLimited(
      this.endpoint,
      { timeoutMs, maxBytes, ca },
      {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      },
    ).catch((error: unknown) => {
      throw new DpopUnavailableError('the introspection endpoint could not be reached', { cause: error });
    });
    if (response.status !== 200) {
      throw new DpopUnavailableError(`the introspection endpoint answered ${response.status}`);
    }
    let claims: unknown;
    try {
      claims = JSON.parse(response.body);
    } catch {
      throw new DpopUnavailableError('the introspection endpoint answered something other than JSON');
    }
    if (!isObject(claims) || claims.active !== true) throw new AccessTokenError('access token is not active');
    // RFC 7662 §2.2: `aud` is a string or a list of them; one named value suffices.
    const { audiences, issuers } = this;
    if (audiences !== undefined) {
      const aud: unknown[] =
        typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
      if (!aud.some((value) => typeof value === 'string' && audiences.has(value))) {
        throw new AccessTokenError('access token was issued for another audience (introspection aud)');
      }
    }
    if (issuers !== undefined && !(typeof claims.iss === 'string' && issuers.has(claims.iss))) {
      throw new AccessTokenError('access token was issued by another issuer (introspection iss)');
    }
    return claims as AccessTokenClaims;
  }
}

/** @internal */
export class CustomAccessTokenVerifier extends AccessTokenVerifier {
  constructor(private readonly options: CustomAccessTokenOptions) {
    super();
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const claims = await this.options.verify(token);
    if (!isObject(claims)) throw new AccessTokenError('access token was refused by the custom verifier');
    return claims as AccessTokenClaims;
  }
}

/** @internal */
export function createAccessTokenVerifier(
  options: NonNullable<ResolvedDpopOptions['accessToken']>,
): AccessTokenVerifier {
  switch (options.type) {
    case 'jwt':
      return new JwtAccessTokenVerifier(options);
    case 'introspection':
      return new IntrospectionAccessTokenVerifier(options);
    case 'custom':
      return new CustomAccessTokenVerifier(options);
  }
}
