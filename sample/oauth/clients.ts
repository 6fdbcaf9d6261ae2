import { timingSafeEqual } from 'node:crypto';
import type { SampleConfig } from '../sample.config.js';

export interface SampleClient {
  id: string;
  secret?: string;
  redirectUris: string[];
  /** Grant types the client may use at the token endpoint. */
  grants: string[];
  /** Every access token must be DPoP-bound (a token request without a proof is refused). */
  dpopBound: boolean;
}

/** The built-in clients of the sample (SAMPLE-CONTRACT: demo-spa and demo-service). */
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
  ]);
}

export function secretMatches(client: SampleClient, secret: string): boolean {
  if (client.secret === undefined) return false;
  const a = Buffer.from(client.secret);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
