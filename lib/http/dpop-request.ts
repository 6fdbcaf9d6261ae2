import type { IncomingMessage } from 'node:http';
import type { ResolvedDpopOptions } from '../options/resolve-dpop-options.js';

/** An Express request (an IncomingMessage) or a Fastify request (with `raw`). @internal */
export type HttpRequest = { raw?: IncomingMessage; originalUrl?: string } & Partial<IncomingMessage>;

/** The Node request under either adapter. @internal */
export function nodeRequest(request: HttpRequest): IncomingMessage {
  return request.raw ?? (request as IncomingMessage);
}

/**
 * The absolute URL the client addressed, which a proof's `htu` must name:
 * `publicUrl` + path when configured; else from `X-Forwarded-*` when
 * `trustProxy`; else from the `Host` header and the connection.
 * @internal
 */
export function requestUrl(request: HttpRequest, options: ResolvedDpopOptions): string {
  const raw = nodeRequest(request);
  const path = request.originalUrl ?? raw.url ?? '/';
  if (options.publicUrl !== undefined) return options.publicUrl + path;
  const headers = raw.headers;
  if (options.trustProxy) {
    const proto = lastValue(headers['x-forwarded-proto']);
    const host = lastValue(headers['x-forwarded-host']);
    const prefix = lastValue(headers['x-forwarded-prefix'])?.replace(/\/+$/, '') ?? '';
    if (proto !== undefined && host !== undefined) return `${proto}://${host}${prefix}${path}`;
  }
  const encrypted = (raw.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${headers.host ?? 'localhost'}${path}`;
}

/** The value the nearest proxy added: the last one, when a client sent its own and a proxy appended. */
function lastValue(value: string | string[] | undefined): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value?.split(',').pop();
  return last?.trim() || undefined;
}

/**
 * Every `Authorization` and `DPoP` header line, read from the raw headers:
 * Node drops duplicate `Authorization` headers and joins duplicate `DPoP`
 * ones, so only the raw list shows that a client sent two.
 * @internal
 */
export function credentialHeaders(request: HttpRequest): { authorization: string[]; dpop: string[] } {
  const raw = nodeRequest(request).rawHeaders ?? [];
  const authorization: string[] = [];
  const dpop: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization.push(raw[i + 1]!);
    else if (name.length === 4 && name.toLowerCase() === 'dpop') dpop.push(raw[i + 1]!);
  }
  return { authorization, dpop };
}
