import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

function listen(server: ReturnType<typeof createHttpServer>, scheme: string): Promise<TestServer> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

function withBody(handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, body, res));
  };
}

/** A local HTTP server (JWKS, introspection). */
export function httpServer(handler: Handler): Promise<TestServer> {
  return listen(createHttpServer(withBody(handler)), 'http');
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this test run. */
export function testCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dpop-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A local HTTPS server with the given certificate (jku). */
export function httpsServer(tls: { key: string; cert: string }, handler: Handler): Promise<TestServer> {
  return listen(createHttpsServer(tls, withBody(handler)) as unknown as ReturnType<typeof createHttpServer>, 'https');
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  json: () => Record<string, unknown>;
}

/**
 * An HTTP request with exact control of the headers: a header given an
 * array is sent as several lines (what fetch cannot do).
 */
export function send(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: string;
    /** The request target exactly as sent (a URL string would be normalised: `..` resolved). */
    rawPath?: string;
  } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  const options = {
    hostname: target.hostname,
    port: target.port,
    path: init.rawPath ?? `${target.pathname}${target.search}`,
    method: init.method ?? 'GET',
    headers: init.headers,
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
