import { Controller, Get, type INestApplication } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dpop, DpopBound, DpopEvents, type DpopEvent, type DpopRefusalReason } from '../../lib/index.js';
import { ADAPTERS, ApiController, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// Every refusal of a protected route is counted once in dpop.request.refused (dpop.reason, dpop.error) and
// emitted once as a request.refused event, with a reason from the closed DpopRefusalReason set: the ones
// that were not counted before (a key-bound token sent as Bearer, Bearer where the route does not allow it,
// no credentials, an unbound token with the DPoP scheme, the DPoP scheme without a proof, a malformed token,
// a missing scope) and the proof and token refusals that were.
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

type Point = { attributes: Record<string, unknown>; value: number };

@Controller('scoped')
class ScopedController {
  @Get()
  @DpopBound({ scopes: ['orders:read'] })
  read(@Dpop('jkt') jkt: string) {
    return { jkt };
  }
}

const f = useGuardFixture();
const reader = new TestReader();
beforeAll(() => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(async () => {
  await reader.shutdown();
  metrics.disable();
});

/** dpop.request.refused so far, by "reason error". */
async function refusedCounts(): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const points = resourceMetrics.scopeMetrics
    .filter((scope) => scope.scope.name === 'nestjs-dpop')
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'dpop.request.refused')
    .flatMap((metric) => metric.dataPoints as Point[]);
  return Object.fromEntries(
    points.map((point) => [
      `${String(point.attributes['dpop.reason'])} ${String(point.attributes['dpop.error'])}`,
      point.value,
    ]),
  );
}

describe.each(ADAPTERS)('refusal reasons (%s)', (adapter) => {
  let app: INestApplication;
  let base: string;
  const events: DpopEvent[] = [];
  beforeAll(async () => {
    ({ app, base } = await start(adapter, f.jwtOptions({ allowedHosts: ['127.0.0.1'] }), false, [
      ApiController,
      ScopedController,
    ]));
    app.get(DpopEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => app?.close());
  afterEach(() => {
    events.length = 0;
  });

  /** Sends one request, expects `status`, and that it was counted once as `reason` / `code`. */
  async function refusedOnce(
    path: string,
    headers: Record<string, string>,
    status: number,
    reason: DpopRefusalReason,
    code: string,
  ): Promise<void> {
    const before = await refusedCounts();
    events.length = 0;
    const res = await send(`${base}${path}`, { headers }); // raw: a Host header of our choosing too
    expect(res.status, reason).toBe(status);
    const after = await refusedCounts();
    const delta = Object.fromEntries(
      Object.entries(after)
        .map(([key, value]) => [key, value - (before[key] ?? 0)])
        .filter(([, value]) => value !== 0),
    );
    expect(delta, reason).toEqual({ [`${reason} ${code}`]: 1 });
    expect(
      events.filter((event) => event.type === 'request.refused'),
      reason,
    ).toEqual([{ type: 'request.refused', reason, code }]);
    // Events carry outcomes, never the credentials.
    for (const value of Object.values(headers)) expect(JSON.stringify(events)).not.toContain(value.slice(-20));
  }

  it('a key-bound token sent as Bearer (where Bearer is allowed): bound_token_as_bearer', async () => {
    const token = await f.mint({ cnf: { jkt: f.jkt } });
    await refusedOnce(
      '/api/mixed',
      { authorization: `Bearer ${token}` },
      401,
      'bound_token_as_bearer',
      'invalid_token',
    );
  });

  it('Bearer on a route that does not allow it: bearer_not_allowed, before the token is read', async () => {
    const token = await f.mint({});
    await refusedOnce('/api/me', { authorization: `Bearer ${token}` }, 401, 'bearer_not_allowed', 'invalid_token');
    const bound = await f.mint({ cnf: { jkt: f.jkt } });
    await refusedOnce('/api/me', { authorization: `Bearer ${bound}` }, 401, 'bearer_not_allowed', 'invalid_token');
  });

  it('no credentials, or another scheme: credentials_missing', async () => {
    await refusedOnce('/api/me', {}, 401, 'credentials_missing', 'unauthorized');
    await refusedOnce('/api/me', { authorization: 'Basic YTpi' }, 401, 'credentials_missing', 'unauthorized');
  });

  it('a token without the route scope: insufficient_scope', async () => {
    const token = await f.mint({ cnf: { jkt: f.jkt }, scope: 'profile' });
    const headers = await f.dpopHeaders(base, 'GET', '/scoped', token);
    await refusedOnce('/scoped', headers, 403, 'insufficient_scope', 'insufficient_scope');
  });

  it('an unbound token with the DPoP scheme: unbound_token_as_dpop', async () => {
    const headers = await f.dpopHeaders(base, 'GET', '/api/me', await f.mint({}));
    await refusedOnce('/api/me', headers, 401, 'unbound_token_as_dpop', 'invalid_token');
  });

  it('the DPoP scheme without a proof: proof_missing; a malformed token or Host: request_malformed', async () => {
    const token = await f.mint({ cnf: { jkt: f.jkt } });
    await refusedOnce('/api/me', { authorization: `DPoP ${token}` }, 400, 'proof_missing', 'invalid_request');
    const headers = await f.dpopHeaders(base, 'GET', '/api/me', token);
    await refusedOnce(
      '/api/me',
      { ...headers, authorization: 'DPoP a"b' },
      400,
      'request_malformed',
      'invalid_request',
    );
    await refusedOnce('/api/me', { ...headers, host: 'evil.example' }, 400, 'request_malformed', 'invalid_request');
  });

  it('a token or a proof that fails its check: token_invalid, proof_invalid, nonce_required', async () => {
    const token = await f.mint({ cnf: { jkt: f.jkt } });
    const forged = `${token.slice(0, -4)}AAAA`;
    const forgedHeaders = await f.dpopHeaders(base, 'GET', '/api/me', forged);
    await refusedOnce('/api/me', forgedHeaders, 401, 'token_invalid', 'invalid_token');
    const wrongUrl = await f.dpopHeaders(base, 'GET', '/api/other', token);
    await refusedOnce('/api/me', wrongUrl, 401, 'proof_invalid', 'invalid_dpop_proof');
    const noNonce = await f.dpopHeaders(base, 'GET', '/api/nonce', token);
    await refusedOnce('/api/nonce', noNonce, 401, 'nonce_required', 'use_dpop_nonce');
  });

  it('an accepted request is not counted', async () => {
    const before = await refusedCounts();
    expect((await send(`${base}/api/me`, { headers: await f.boundRequest(base) })).status).toBe(200);
    expect(await refusedCounts()).toEqual(before);
    expect(events.filter((event) => event.type === 'request.refused')).toEqual([]);
  });
});
