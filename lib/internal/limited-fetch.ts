import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';

/** Limits for a server-to-server fetch. @internal */
export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Extra CA certificates to trust (PEM), e.g. a private PKI. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Why a {@link fetchLimited} call failed; callers branch on `reason`, never on the message. @internal */
export class LimitedFetchError extends Error {
  constructor(
    readonly reason: 'timeout' | 'too_large' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LimitedFetchError';
  }
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
          req.destroy(new LimitedFetchError('too_large', `response larger than ${limits.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) =>
        reject(
          error instanceof LimitedFetchError
            ? error
            : new LimitedFetchError('network', error.message, { cause: error }),
        ),
      );
    });
    const timedOut = () => req.destroy(new LimitedFetchError('timeout', `no response within ${limits.timeoutMs} ms`));
    const timer = setTimeout(timedOut, limits.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', timedOut);
    req.on('error', (error) =>
      reject(
        error instanceof LimitedFetchError ? error : new LimitedFetchError('network', error.message, { cause: error }),
      ),
    );
    req.end(init.body);
  });
}
