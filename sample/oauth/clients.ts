import type { JWK } from 'jose';
import { timingSafeEqual } from 'node:crypto';
import type { SampleConfig } from '../sample.config.js';
import { DEMO_FAPI_PUBLIC_JWK } from './demo-fapi-test-key.js';

export interface SampleClient {
  id: string;
  secret?: string;
  /** The public key of a `private_key_jwt` client (then it has no secret and must sign client assertions). */
  assertionKey?: JWK;
  redirectUris: string[];
  /** Grant types the client may use at the token endpoint. */
  grants: string[];
  /** Every access token must be DPoP-bound (a token request without a proof is refused). */
  dpopBound: boolean;
  /** Authorization requests only through PAR (RFC 9126 `require_pushed_authorization_requests`). */
  requirePushedAuthorizationRequests?: boolean;
  /** The response types the client may use (undefined: all of the server's). */
  responseTypes?: string[];
  /** The JWS algorithms its DPoP proofs and client assertions may use (undefined: all of the server's). */
  algorithms?: string[];
}

/** The FAPI 2.0-shaped profile: ES256 and PS256 only. */
export const FAPI_ALGORITHMS = ['ES256', 'PS256'];

/** The built-in clients of the sample (SAMPLE-CONTRACT: demo-spa, demo-service and demo-fapi). */
export function sampleClients(config: SampleConfig): Map<string, SampleClient> {
  return new Map([
    [
      'demo-spa',
      {
        id: 'demo-spa',
        redirectUris: [`${config.issuer}/client/callback`, 'http://localhost:8080/callback'],
        grants: ['authorization_code', 'refresh_token'],
        dpopBound: true,
      },
    ],
    [
      'demo-service',
      {
        id: 'demo-service',
        secret: 'demo-service-secret',
        redirectUris: [],
        grants: ['client_credentials'],
        dpopBound: false,
      },
    ],
    [
      'demo-fapi',
      {
        id: 'demo-fapi',
        assertionKey: DEMO_FAPI_PUBLIC_JWK,
        redirectUris: ['http://localhost:8080/fapi/callback'],
        grants: ['authorization_code', 'refresh_token'],
        dpopBound: true,
        requirePushedAuthorizationRequests: true,
        responseTypes: ['code'],
        algorithms: FAPI_ALGORITHMS,
      },
    ],
  ]);
}

export function secretMatches(client: SampleClient, secret: string): boolean {
  if (client.secret === undefined) return false;
  const a = Buffer.from(client.secret);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
