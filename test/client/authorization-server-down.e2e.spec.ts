import type { INestApplicationContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DpopClientError } from '../../lib/client/index.js';
import { freePort } from '../helpers/sample-app.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { clientModule, recordingFetch } from './client-helpers.js';

/**
 * An authorization server that is down, broken or slow: a clear typed
 * error, one token request however many callers wait (they share the
 * failure), no retry, and nothing cached (the next call tries again).
 */
describe('DpopHttpClient when the authorization server is down', () => {
  const contexts: INestApplicationContext[] = [];
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function client(tokenEndpoint: string, extra = {}) {
    const recorder = recordingFetch();
    const made = await clientModule({
      tokenEndpoint,
      clientId: 'svc',
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'not-in-any-message' },
      allowInsecureRequests: true,
      fetch: recorder.fetch,
      ...extra,
    });
    contexts.push(made.context);
    return { ...made, calls: recorder.calls };
  }

  /** A token endpoint that counts requests and answers with `handler`. */
  async function endpoint(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    const counter = { requests: 0 };
    const server = await httpServer((req, _body, res) => {
      counter.requests++;
      handler(req, res);
    });
    servers.push(server);
    return { url: `${server.url}/token`, counter };
  }

  async function concurrentFailures(run: () => Promise<unknown>, count: number): Promise<DpopClientError[]> {
    const results = await Promise.allSettled(Array.from({ length: count }, run));
    return results.map((result) => {
      expect(result.status).toBe('rejected');
      return (result as PromiseRejectedResult).reason as DpopClientError;
    });
  }

  it('nothing listening: authorization_server_unreachable, naming the endpoint and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}/token`;
    const { client: dpop, calls } = await client(url);
    const errors = await concurrentFailures(() => dpop.fetch('http://127.0.0.1:9/api'), 10);
    expect(errors[0]).toBeInstanceOf(DpopClientError);
    expect(errors[0]).toMatchObject({ code: 'authorization_server_unreachable', name: 'DpopClientError' });
    expect(errors[0]!.message).toContain(url);
    expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
    expect(errors[0]!.message).not.toContain('not-in-any-message');
    // Single-flight: the ten callers share one attempt and one error object.
    expect(new Set(errors).size).toBe(1);
    expect(calls).toHaveLength(1);
    // Not cached: the next call tries again (once).
    await expect(dpop.fetch('http://127.0.0.1:9/api')).rejects.toMatchObject({
      code: 'authorization_server_unreachable',
    });
    expect(calls).toHaveLength(2);
    expect(calls.every((call) => call.url === url)).toBe(true);
  });

  it('connections reset: one request for all concurrent callers, no retry', async () => {
    const { url, counter } = await endpoint((req) => req.socket.destroy());
    const { client: dpop } = await client(url);
    const errors = await concurrentFailures(() => dpop.getAccessToken(), 12);
    expect(errors.every((error) => error.code === 'authorization_server_unreachable')).toBe(true);
    expect(counter.requests).toBe(1);
    await expect(dpop.getAccessToken()).rejects.toBeInstanceOf(DpopClientError);
    expect(counter.requests).toBe(2);
  });

  it('503 from the token endpoint: token_request_failed with the status, one request', async () => {
    const { url, counter } = await endpoint((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
    });
    const { client: dpop } = await client(url);
    const errors = await concurrentFailures(() => dpop.fetch('http://127.0.0.1:9/api'), 6);
    expect(errors[0]).toMatchObject({ code: 'token_request_failed', status: 503 });
    expect(errors[0]!.message).toContain('HTTP 503');
    expect(counter.requests).toBe(1);
  });

  it('an endpoint that never answers: the timeout ends it with authorization_server_unreachable', async () => {
    const { url, counter } = await endpoint(() => undefined);
    const { client: dpop } = await client(url, { authorizationServerTimeoutMs: 300 });
    const errors = await concurrentFailures(() => dpop.getAccessToken(), 5);
    expect(errors[0]).toMatchObject({ code: 'authorization_server_unreachable' });
    expect(errors[0]!.message).toMatch(/TimeoutError/);
    expect(counter.requests).toBe(1);
  });

  it('a Bearer (unbound) token is refused: invalid_token_response, not sent as DPoP', async () => {
    const { url } = await endpoint((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'unbound', token_type: 'Bearer', expires_in: 60 }));
    });
    const { client: dpop, calls } = await client(url);
    await expect(dpop.fetch('http://127.0.0.1:9/api')).rejects.toMatchObject({ code: 'invalid_token_response' });
    expect(calls.filter((call) => call.url.endsWith('/api'))).toHaveLength(0);
  });

  it('an invalid token response: invalid_token_response, and the token in it is nowhere in the error', async () => {
    const { url } = await endpoint((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'usable-token-value', token_type: 'DPoP', expires_in: 'soon' }));
    });
    const { client: dpop } = await client(url);
    const error = (await dpop.getAccessToken().catch((caught: unknown) => caught)) as DpopClientError;
    expect(error).toMatchObject({ code: 'invalid_token_response', status: 200 });
    expect(error.message).toMatch(/expires_in/);
    expect(inspect(error, { depth: 10 })).not.toContain('usable-token-value');
  });

  it('an unreachable issuer (discovery): authorization_server_unreachable naming the issuer', async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const { client: dpop } = await client('', { tokenEndpoint: undefined, issuer });
    await expect(dpop.getAccessToken()).rejects.toMatchObject({
      code: 'authorization_server_unreachable',
      message: expect.stringContaining(issuer),
    });
  });
});
