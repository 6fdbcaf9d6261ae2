import type { INestApplicationContext } from '@nestjs/common';
import axios, { type AxiosInstance } from 'axios';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DpopClientError, type DpopAxiosInterceptor, type DpopHttpClient } from '../../lib/client/index.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { clientModule, decodeJws } from './client-helpers.js';

/** One request as an API server received it. */
interface Received {
  method: string;
  url: string;
  body: string;
  authorization?: string;
  dpop?: string;
  contentType?: string;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Redirects from a DPoP-protected API, through `DpopHttpClient.fetch` and
 * through axios: a proof only ever reaches the URL it names, the token only
 * the origin it was sent to, and a nonce is filed under the origin that gave it.
 */
describe.each(['fetch', 'axios'] as const)('redirects through %s', (via) => {
  const contexts: INestApplicationContext[] = [];
  const servers: TestServer[] = [];
  let tokenEndpoint: string;

  /** An API server: records every request, answers with `routes[path]` (default 200 "ok"). */
  async function api(routes: Record<string, Route>) {
    const received: Received[] = [];
    const server = await httpServer((req, body, res) => {
      received.push({
        method: req.method!,
        url: req.url!,
        body,
        authorization: req.headers.authorization,
        dpop: req.headers.dpop as string | undefined,
        contentType: req.headers['content-type'],
      });
      const route = routes[req.url!.split('?')[0]!];
      if (route) route(req, res);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    servers.push(server);
    return { url: server.url, received };
  }

  const redirect =
    (status: number, location: string, headers: Record<string, string> = {}): Route =>
    (_req, res) =>
      res.writeHead(status, { location, ...headers }).end();

  beforeEach(async () => {
    let issued = 0;
    const server = await httpServer((_req, _body, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `token-${++issued}`, token_type: 'DPoP', expires_in: 300 }));
    });
    servers.push(server);
    tokenEndpoint = `${server.url}/token`;
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A client, and one `send` that goes through `fetch` or through an axios instance with the interceptor. */
  async function client(extra = {}) {
    const made = await clientModule({
      tokenEndpoint,
      clientId: 'svc',
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'secret' },
      allowInsecureRequests: true,
      ...extra,
    });
    contexts.push(made.context);
    const instance: AxiosInstance = axios.create({ validateStatus: () => true });
    (made.axios as DpopAxiosInterceptor).attach(instance);
    const send = async (url: string, method = 'GET', body?: string): Promise<{ status: number; text: string }> => {
      if (via === 'fetch') {
        const init = body === undefined ? { method } : { method, body, headers: { 'content-type': 'text/plain' } };
        const response = await (made.client as DpopHttpClient).fetch(url, init);
        return { status: response.status, text: await response.text() };
      }
      const response = await instance.request({
        url,
        method,
        data: body,
        headers: body === undefined ? {} : { 'content-type': 'text/plain' },
        responseType: 'text',
      });
      return { status: response.status, text: response.data as string };
    };
    return { ...made, send };
  }

  it('same origin, 307: the same method and body, with a fresh proof naming the new URL', async () => {
    const a = await api({ '/start': redirect(307, '/next?x=1') });
    const { send } = await client();
    const result = await send(`${a.url}/start`, 'POST', 'payload');
    expect(result).toEqual({ status: 200, text: 'ok' });
    expect(a.received.map(({ method, url, body }) => [method, url, body])).toEqual([
      ['POST', '/start', 'payload'],
      ['POST', '/next?x=1', 'payload'],
    ]);
    const [first, second] = a.received.map((request) => decodeJws(request.dpop!).claims);
    expect(first).toMatchObject({ htm: 'POST', htu: `${a.url}/start` });
    expect(second).toMatchObject({ htm: 'POST', htu: `${a.url}/next` });
    expect(second!.jti).not.toBe(first!.jti);
    expect(second!.ath).toBe(first!.ath);
    expect(a.received[1]!.authorization).toBe(a.received[0]!.authorization);
  });

  it.each([
    [303, 'POST'],
    [302, 'POST'],
    [301, 'POST'],
  ])('same origin, %i after a %s: a GET without the body, with a proof for GET', async (status, method) => {
    const a = await api({ '/form': redirect(status, `/done`) });
    const { send } = await client();
    expect((await send(`${a.url}/form`, method, 'payload')).status).toBe(200);
    expect(a.received[1]).toMatchObject({ method: 'GET', url: '/done', body: '', contentType: undefined });
    expect(decodeJws(a.received[1]!.dpop!).claims).toMatchObject({ htm: 'GET', htu: `${a.url}/done` });
    expect(a.received[1]!.authorization).toMatch(/^DPoP token-/);
  });

  it('cross origin, by default: not followed; the 3xx comes back and the other origin receives nothing', async () => {
    const b = await api({});
    const a = await api({ '/start': redirect(302, `${b.url}/landing`) });
    const { send } = await client();
    const result = await send(`${a.url}/start`);
    expect(result.status).toBe(302);
    expect(b.received).toHaveLength(0);
  });

  it('cross origin with followCrossOriginRedirects: followed without Authorization and DPoP, even back to the first origin', async () => {
    const bRoutes: Record<string, Route> = {};
    const b = await api(bRoutes);
    const a = await api({ '/start': redirect(302, `${b.url}/hop`) });
    // b sends the client back to a: once the credentials have been dropped, they stay dropped.
    bRoutes['/hop'] = redirect(307, `${a.url}/back`);
    const { send } = await client({ followCrossOriginRedirects: true });
    const result = await send(`${a.url}/start`);
    expect(result).toEqual({ status: 200, text: 'ok' });
    expect(a.received.map((request) => request.url)).toEqual(['/start', '/back']);
    expect(a.received[0]!.dpop).toBeDefined();
    expect(a.received[1]).toMatchObject({ method: 'GET', authorization: undefined, dpop: undefined });
    expect(b.received).toEqual([expect.objectContaining({ url: '/hop', authorization: undefined, dpop: undefined })]);
  });

  it('a DPoP-Nonce is filed under the origin of the response that sent it', async () => {
    const b = await api({ '/landing': (_req, res) => res.writeHead(200, { 'dpop-nonce': 'nonce-of-b' }).end('b') });
    const a = await api({ '/start': redirect(302, `${b.url}/landing`) });
    const made = await client({ followCrossOriginRedirects: true });
    expect((await made.send(`${a.url}/start`)).status).toBe(200);
    expect(decodeJws(await made.client.proof('GET', `${a.url}/x`)).claims.nonce).toBeUndefined();
    expect(decodeJws(await made.client.proof('GET', `${b.url}/x`)).claims.nonce).toBe('nonce-of-b');
  });

  it('a redirect loop on one origin ends after 20 redirects with too_many_redirects', async () => {
    let hop = 0;
    const a = await api({ '/loop': (_req, res) => res.writeHead(302, { location: `/loop?${++hop}` }).end() });
    const { send } = await client();
    const error = await send(`${a.url}/loop`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DpopClientError);
    expect(error).toMatchObject({ code: 'too_many_redirects' });
    expect(a.received).toHaveLength(21);
  });
});

describe('redirects: what the caller asked for', () => {
  it('axios with its default validateStatus rejects a cross-origin 3xx as it rejects any 3xx; fetch with redirect: "manual" returns a same-origin one', async () => {
    const servers: TestServer[] = [];
    let issued = 0;
    const as = await httpServer((_req, _body, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `token-${++issued}`, token_type: 'DPoP', expires_in: 300 }));
    });
    const received: string[] = [];
    const api = await httpServer((req, _body, res) => {
      received.push(req.url!);
      res.writeHead(302, { location: req.url === '/here' ? '/there' : 'http://127.0.0.1:9/elsewhere' }).end();
    });
    servers.push(as, api);
    const {
      context,
      client,
      axios: interceptor,
    } = await clientModule({
      tokenEndpoint: `${as.url}/token`,
      clientId: 'svc',
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'secret' },
      allowInsecureRequests: true,
    });
    try {
      const instance = axios.create();
      interceptor.attach(instance);
      await expect(instance.get(`${api.url}/away`)).rejects.toMatchObject({ response: { status: 302 } });
      const response = await client.fetch(`${api.url}/here`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(received).toEqual(['/away', '/here']);
    } finally {
      await context.close();
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
