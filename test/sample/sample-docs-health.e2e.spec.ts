import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSample } from '../helpers/sample-app.js';
import { send } from '../helpers/servers.js';

// The sample's OpenAPI document (with the DPoP security scheme), Swagger UI and /health.
describe('the sample: /docs and /health', () => {
  let app: INestApplication;
  let issuer: string;
  beforeAll(async () => {
    ({ app, issuer } = await startSample());
  });
  afterAll(() => app.close());

  it('serves an OpenAPI document whose @DpopBound() operations require the DPoP scheme', async () => {
    const res = await send(`${issuer}/docs-json`);
    expect(res.status).toBe(200);
    const doc = res.json() as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(doc.components.securitySchemes.DPoP).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect(doc.paths['/api/me']!.get!.security).toEqual([{ DPoP: [] }]);
    expect(doc.paths['/api/echo']!.post!.security).toEqual([{ DPoP: [] }]);
    expect(doc.paths['/api/mixed']!.get!.security).toEqual(expect.arrayContaining([{ DPoP: [] }, { bearer: [] }]));
    expect(doc.paths['/token']!.post!.security).toBeUndefined();
  });

  it('serves Swagger UI', async () => {
    const res = await send(`${issuer}/docs`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('swagger-ui');
  });

  it('/health reports the replay store and the database up', async () => {
    const res = await send(`${issuer}/health`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      info: { dpop_store: { status: 'up' }, database: { status: 'up' } },
    });
  });
});
