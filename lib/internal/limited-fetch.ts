import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';

/** Limits for a server-to-server fetch. @internal */
export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Extra CA certificates to trust (PEM), e.g. a private PKI. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Response of {@link fetchLimited}. @internal */
export interface LimitedResponse {
  status: number;
  body: string;
}

/**
 * One HTTP(S) request with a hard time limit and a hard size limit on the
 * body (counted as it streams, not trusted from Content-Length). Redirects
 * are not followed. Rejects on any failure.
 * @internal
 */
export function fetchLimited(
  url: URL,
  limits: FetchLimits,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<LimitedResponse> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...init.headers },
      timeout: limits.timeoutMs,
      ...(limits.ca ? { ca: limits.ca } : {}),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          req.destroy(new Error(`response larger than ${limits.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no response within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no response within ${limits.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
