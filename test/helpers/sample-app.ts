import * as oauth from 'oauth4webapi';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSampleApp } from '../../sample/sample-app.js';
import type { SampleConfig } from '../../sample/sample.config.js';

/** A free loopback port (the sample's issuer URL must name its port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the sample on a free port and a fresh SQLite file (unless given). */
export async function startSample(
  overrides: Partial<SampleConfig> = {},
): Promise<{ app: INestApplication; issuer: string; sqliteFile: string }> {
  const port = overrides.port ?? (await freePort());
  const sqliteFile = overrides.sqliteFile ?? join(mkdtempSync(join(tmpdir(), 'dpop-sample-')), 'sample.sqlite');
  const issuer = `http://127.0.0.1:${port}`;
  const app = await createSampleApp({ port, host: '127.0.0.1', issuer, sqliteFile, nonce: false, ...overrides });
  return { app, issuer, sqliteFile };
}

/** oauth4webapi's options for the sample's plain-HTTP issuer. */
export const insecure = { [oauth.allowInsecureRequests]: true } as const;
const service: oauth.Client = { client_id: 'demo-service' };

/** The client-credentials grant of demo-service (DPoP-bound when a DPoP handle is given). */
export async function serviceToken(as: oauth.AuthorizationServer, dpop?: oauth.DPoPHandle) {
  return oauth.processClientCredentialsResponse(
    as,
    service,
    await oauth.clientCredentialsGrantRequest(
      as,
      service,
      oauth.ClientSecretBasic('demo-service-secret'),
      { scope: 'api' },
      {
        ...(dpop ? { DPoP: dpop } : {}),
        ...insecure,
      },
    ),
  );
}

/** Runs a request, retrying once when the server asks for a DPoP nonce (the DPoP handle keeps it). */
export async function withNonceRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) return run();
    throw error;
  }
}
