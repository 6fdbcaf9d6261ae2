import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopEvents, MemoryDpopStore, type DpopEvent } from '../../lib/index.js';
import { ApiController, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

/** The SDK's in-memory path: a reader collected on demand. */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A memory store that can be switched off. */
class SwitchableStore extends MemoryDpopStore {
  down = false;
  override rememberProof(key: string, expiresAt: number): Promise<boolean> {
    return this.down ? Promise.reject(new Error('store down')) : super.rememberProof(key, expiresAt);
  }
}

type Point = { attributes: Record<string, unknown>; value: unknown };
function points(collected: ResourceMetrics, name: string): Point[] {
  const metric = collected.scopeMetrics
    .filter((scope) => scope.scope.name === 'nestjs-dpop')
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Point[];
}
const total = (collected: ResourceMetrics, name: string, attributes: Record<string, unknown> = {}) =>
  points(collected, name)
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);

const f = useGuardFixture();
const reader = new TestReader();
const store = new SwitchableStore();
let base: string;
let close: () => Promise<void>;
const events: DpopEvent[] = [];

beforeAll(async () => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] })); // before the app, as the README says
  const started = await start('express', f.jwtOptions({ store, allowedHosts: ['127.0.0.1'] }), false, [ApiController]);
  base = started.base;
  close = () => started.app.close();
  started.app.get(DpopEvents).subscribe((event) => events.push(event));
});
afterAll(async () => {
  await close();
  await reader.shutdown();
  metrics.disable();
});

describe('metrics (OpenTelemetry SDK, in-memory reader) and events', () => {
  it('count accepted and refused proofs by reason, nonce challenges, refused requests by reason, refused tokens, store failures', async () => {
    const token = await f.mint({ cnf: { jkt: f.jkt } });
    const headers = await f.dpopHeaders(base, 'GET', '/api/me', token);
    expect((await send(`${base}/api/me`, { headers })).status).toBe(200); // accepted
    expect((await send(`${base}/api/me`, { headers })).status).toBe(401); // replay
    const wrongUrl = await generateProof(f.client, `${base}/api/other`, 'GET', undefined, token);
    expect((await send(`${base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: wrongUrl } })).status).toBe(
      401,
    );
    const nonce = await send(`${base}/api/nonce`, { headers: await f.dpopHeaders(base, 'GET', '/api/nonce', token) });
    expect(nonce.status).toBe(401); // use_dpop_nonce
    const evilHost = await send(`${base}/api/me`, {
      headers: { ...(await f.dpopHeaders(base, 'GET', '/api/me', token)), host: 'evil.example' },
    });
    expect(evilHost.status).toBe(400);
    const forged = await send(`${base}/api/me`, {
      headers: await f.dpopHeaders(base, 'GET', '/api/me', `${token.slice(0, -4)}AAAA`),
    });
    expect(forged.status).toBe(401); // invalid_token
    store.down = true;
    expect((await send(`${base}/api/me`, { headers: await f.dpopHeaders(base, 'GET', '/api/me', token) })).status).toBe(
      503,
    );
    store.down = false;

    const { resourceMetrics } = await reader.collect();
    expect(total(resourceMetrics, 'dpop.proof.accepted')).toBe(1);
    expect(total(resourceMetrics, 'dpop.proof.refused', { 'dpop.check': 'replay' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.proof.refused', { 'dpop.check': 'htu' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.proof.refused', { 'dpop.error': 'use_dpop_nonce' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.nonce.challenges')).toBe(1);
    // every refused request once, by reason
    expect(total(resourceMetrics, 'dpop.request.refused')).toBe(6);
    expect(total(resourceMetrics, 'dpop.request.refused', { 'dpop.reason': 'proof_invalid' })).toBe(2);
    expect(total(resourceMetrics, 'dpop.request.refused', { 'dpop.reason': 'nonce_required' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.request.refused', { 'dpop.reason': 'request_malformed' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.request.refused', { 'dpop.reason': 'token_invalid' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.request.refused', { 'dpop.reason': 'unavailable' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.token.refused', { 'dpop.error': 'invalid_token' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.store.failures')).toBe(1);
    expect(total(resourceMetrics, 'dpop.proof.duration', { 'dpop.outcome': 'accepted' })).toBe(1);
    expect(total(resourceMetrics, 'dpop.proof.duration', { 'dpop.outcome': 'refused' })).toBe(3);

    expect(events.map((e) => (e.type === 'request.refused' ? `${e.type} ${e.reason}` : e.type))).toEqual([
      'proof.accepted',
      'proof.refused',
      'request.refused proof_invalid',
      'proof.refused',
      'request.refused proof_invalid',
      'proof.refused',
      'request.refused nonce_required',
      'request.refused request_malformed',
      'token.refused',
      'request.refused token_invalid',
      'store.failure',
      'request.refused unavailable',
    ]);
    expect(events[0]).toMatchObject({ type: 'proof.accepted', jkt: f.jkt, method: 'GET' });
    expect(events[1]).toMatchObject({ code: 'invalid_dpop_proof', check: 'replay' });
    expect(events[5]).toMatchObject({ code: 'use_dpop_nonce', check: 'nonce' });
    expect(events[6]).toEqual({ type: 'request.refused', reason: 'nonce_required', code: 'use_dpop_nonce' });
    expect(events[11]).toEqual({ type: 'request.refused', reason: 'unavailable', code: 'temporarily_unavailable' });
    // Events carry outcomes, never a token or a proof.
    expect(JSON.stringify(events)).not.toContain(token.slice(0, 20));
  });
});
