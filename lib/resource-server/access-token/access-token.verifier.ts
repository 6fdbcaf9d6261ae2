import { ASYMMETRIC_ALGORITHMS } from '../../proof/algorithms.js';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { fetchLimited } from '../../internal/limited-fetch.js';
import type {
  AccessTokenClaims,
  AccessTokenOptions,
  CustomAccessTokenOptions,
  IntrospectionAccessTokenOptions,
  JwtAccessTokenOptions,
} from './access-token.interface.js';

/** Thrown when an access token is not valid; the guard answers `invalid_token`. @publicApi */
export class AccessTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessTokenError';
  }
}

/**
 * Turns an access token into its claims, or throws {@link AccessTokenError}.
 * Provide your own subclass as `AccessTokenVerifier` to replace it.
 * @publicApi
 */
export abstract class AccessTokenVerifier {
  abstract verify(token: string): Promise<AccessTokenClaims>;
}

/** @internal */
export class JwtAccessTokenVerifier extends AccessTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  constructor(private readonly options: JwtAccessTokenOptions) {
    super();
    this.keys = options.jwksUri
      ? createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: 3000 })
      : createLocalJWKSet({ keys: options.keys ?? [] });
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms ?? ASYMMETRIC_ALGORITHMS,
        clockTolerance: this.options.clockTolerance ?? 5,
        typ: this.options.typ,
      });
      return payload as AccessTokenClaims;
    } catch (error) {
      // The key set could not be fetched: we cannot tell, so refuse as unavailable (503), not invalid_token.
      const code = (error as { code?: string }).code;
      if (
        code === 'ERR_JWKS_TIMEOUT' ||
        code === 'ERR_JOSE_GENERIC' ||
        code === 'ERR_JWKS_INVALID' ||
        error instanceof TypeError
      ) {
        throw new Error('the JWK set of the access-token issuer could not be fetched', { cause: error });
      }
      throw new AccessTokenError('access token JWT is not valid', { cause: error });
    }
  }
}

/** @internal */
export class IntrospectionAccessTokenVerifier extends AccessTokenVerifier {
  private readonly endpoint: URL;
  private readonly authorization: string;
  constructor(private readonly options: IntrospectionAccessTokenOptions) {
    super();
    this.endpoint = new URL(options.endpoint);
    const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const response = await fetchLimited(
      this.endpoint,
      { timeoutMs: this.options.timeoutMs ?? 3000, maxBytes: 65_536, ca: this.options.ca },
      {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      },
    );
    if (response.status !== 200) throw new Error(`introspection endpoint answered ${response.status}`);
    let claims: unknown;
    try {
      claims = JSON.parse(response.body);
    } catch {
      throw new Error('introspection endpoint answered something other than JSON');
    }
    if (typeof claims !== 'object' || claims === null || (claims as { active?: unknown }).active !== true) {
      throw new AccessTokenError('access token is not active');
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
    if (typeof claims !== 'object' || claims === null) throw new AccessTokenError('access token was refused');
    return claims;
  }
}

/** @internal */
export function createAccessTokenVerifier(options: AccessTokenOptions): AccessTokenVerifier {
  switch (options.type) {
    case 'jwt':
      return new JwtAccessTokenVerifier(options);
    case 'introspection':
      return new IntrospectionAccessTokenVerifier(options);
    case 'custom':
      return new CustomAccessTokenVerifier(options);
  }
}
