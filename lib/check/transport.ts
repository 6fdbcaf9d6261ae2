import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Most requests one check sends to the resource (cases, retries with a nonce, diagnosis). */
export const MAX_REQUESTS = 120;
/** Most response-body bytes read (the rest is discarded): only the status and headers matter. */
const MAX_BODY = 64 * 1024;

/** A response: its status and the headers the cases read. */
export interface CheckResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first {@link MAX_BODY} bytes of the body, as text. */
  body: string;
}

/** One request: header lines given as arrays are sent as several lines (fetch would join them). */
export interface CheckRequest {
  method: string;
  /** Path and query, resolved against the target's origin. */
  path: string;
  headers: Record<string, string | string[]>;
}

export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
}

/**
 * Sends requests to one origin only, one at a time (each awaited before the next), at most
 * {@link MAX_REQUESTS}, never following redirects, each bounded by `timeoutMs`.
 */
export class Transport {
  private sent = 0;
  private busy = false;

  constructor(
    private readonly origin: URL,
    private readonly extraHeaders: [string, string][],
    private readonly timeoutMs: number,
  ) {}

  /** Requests sent so far. */
  get count(): number {
    return this.sent;
  }

  async send(init: CheckRequest): Promise<CheckResponse> {
    if (this.busy) throw new Error('one request at a time');
    if (this.sent >= MAX_REQUESTS) throw new BudgetExceededError(`more than ${MAX_REQUESTS} requests`);
    if (!init.path.startsWith('/')) throw new Error('a path on the target origin');
    this.sent++;
    this.busy = true;
    try {
      return await this.exchange(init);
    } finally {
      this.busy = false;
    }
  }

  private exchange(init: CheckRequest): Promise<CheckResponse> {
    const headers: OutgoingHttpHeaders = { 'user-agent': 'nestjs-dpop-check', accept: 'application/json, */*' };
    for (const [name, value] of this.extraHeaders) headers[name] = value;
    Object.assign(headers, init.headers);
    const send = (this.origin.protocol === 'https:' ? httpsRequest : httpRequest) as typeof httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          protocol: this.origin.protocol,
          hostname: this.origin.hostname.replace(/^\[|\]$/g, ''),
          port: this.origin.port || undefined,
          path: init.path,
          method: init.method,
          headers,
          agent: false,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY) chunks.push(chunk.subarray(0, MAX_BODY - size));
            size += chunk.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
