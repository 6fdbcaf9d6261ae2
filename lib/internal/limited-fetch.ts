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

function asFetchError(error: unknown): LimitedFetchError {
  if (error instanceof LimitedFetchError) return error;
  return new LimitedFetchError('network', (error as Error).message, { cause: error });
}

/**
 * Reads a whole body (a Node stream or a `fetch` body) up to `maxBytes`,
 * counted as it streams, not trusted from Content-Length; one byte more
 * stops the reading (the stream is cancelled) with a `too_large`
 * {@link LimitedFetchError}. Other failures are thrown as they are.
 * @internal
 */
export async function readLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new LimitedFetchError('too_large', `response larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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
      readLimited(res, limits.maxBytes).then(
        (body) => resolve({ status: res.statusCode ?? 0, body: body.toString('utf8') }),
        (error: unknown) => {
          // A timeout destroys the request, which ends the reading: report the timeout.
          const failure = asFetchError(req.errored ?? error);
          req.destroy(failure);
          reject(failure);
        },
      );
    });
    const timedOut = () => req.destroy(new LimitedFetchError('timeout', `no response within ${limits.timeoutMs} ms`));
    const timer = setTimeout(timedOut, limits.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', timedOut);
    req.on('error', (error) => reject(asFetchError(error)));
    req.end(init.body);
  });
}
