import { Test } from '@nestjs/testing';
import {
  DpopClientModule,
  DpopHttpClient,
  DpopAxiosInterceptor,
  type DpopClientModuleOptions,
} from '../../lib/client/index.js';
import type { INestApplicationContext, ModuleMetadata } from '@nestjs/common';

/** One request as it left the client (through the module's `fetch` option), and its answer. */
export interface Recorded {
  url: string;
  method: string;
  dpop: string | null;
  authorization: string | null;
  status?: number;
}

/** A `fetch` that records each request and passes it to the real fetch. */
export function recordingFetch(): { fetch: typeof fetch; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const recorder: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const entry: Recorded = {
      url: request.url,
      method: request.method,
      dpop: request.headers.get('dpop'),
      authorization: request.headers.get('authorization'),
    };
    calls.push(entry);
    const response = await fetch(request);
    entry.status = response.status;
    return response;
  };
  return { fetch: recorder, calls };
}

/** The decoded header and claims of a compact JWS. */
export function decodeJws(jws: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = jws.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(claims!, 'base64url').toString()),
  };
}

/** The real DpopClientModule.forRoot in a Nest testing module. */
export async function clientModule(
  options: DpopClientModuleOptions,
  metadata: ModuleMetadata = {},
): Promise<{ context: INestApplicationContext; client: DpopHttpClient; axios: DpopAxiosInterceptor }> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [DpopClientModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const context = await moduleRef.init();
  return { context, client: context.get(DpopHttpClient), axios: context.get(DpopAxiosInterceptor) };
}

/** Options for the sample's demo-service client. */
export function sampleServiceOptions(issuer: string, fetchFunction?: typeof fetch): DpopClientModuleOptions {
  return {
    issuer,
    clientId: 'demo-service',
    clientAuthentication: { method: 'client_secret_basic', clientSecret: 'demo-service-secret' },
    token: { scope: 'api' },
    allowInsecureRequests: true,
    ...(fetchFunction ? { fetch: fetchFunction } : {}),
  };
}
