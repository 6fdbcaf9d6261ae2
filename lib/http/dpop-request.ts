import type { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { DpopRequestError } from '../dpop.errors.js';
import type { ResolvedDpopOptions } from '../options/resolved-dpop-options.interface.js';
import type { DpopRequestFacts } from './dpop-authenticator.js';
import { parseHost } from '../internal/host.js';

/** An Express request (an IncomingMessage) or a Fastify request (with `raw`). @internal */
export type HttpRequest = { raw?: IncomingMessage; originalUrl?: string } & Partial<IncomingMessage>;

/** The Node request under either adapter. @internal */
export function nodeRequest(request: HttpRequest): IncomingMessage {
  return request.raw ?? (request as IncomingMessage);
}

/** The request target as the client sent it: path and query. @internal */
export function requestTarget(request: HttpRequest): string {
  return request.originalUrl ?? nodeRequest(request).url ?? '/';
}

/** A path segment that is `.` or `..`, also percent-encoded (`%2e`, `.%2E`, …). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?=\/|$)/i;

/**
 * Refuses a request whose path has a dot segment, raw or percent-encoded. A
 * router may send `/api/files/../me` to a `files/*` handler while the URL a
 * proof's `htu` is compared with normalises to `/api/me`: a proof must only
 * authorise the handler its `htu` names.
 * @internal
 */
export function assertNoDotSegments(target: string): void {
  const queryStart = target.search(/[?#]/);
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  if (DOT_SEGMENT.test(path)) throw new DpopRequestError('the request path has a dot segment');
}

/** A path a proxy may prefix: starts with `/`, pchars and `/` only, no dot segment. */
const PREFIX = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+$/;

/** The value the nearest proxy added: the last one, when a client sent its own and a proxy appended. */
function lastValue(value: string | string[] | undefined): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value?.split(',').pop();
  return last?.trim() || undefined;
}

/** `Host` / `X-Forwarded-Host`: only an RFC 3986 uri-host and port, and one of `allowedHosts` when set. */
function checkedHost(value: string | undefined, header: string, options: ResolvedDpopOptions): string {
  const parsed = parseHost(value);
  if (!parsed) throw new DpopRequestError(`the ${header} header is not a host name with an optional port`);
  const host = parsed.port === undefined ? parsed.host : `${parsed.host}:${parsed.port}`;
  if (options.allowedHosts && !options.allowedHosts.includes(host) && !options.allowedHosts.includes(parsed.host)) {
    throw new DpopRequestError(`the ${header} header names a host that is not in allowedHosts`);
  }
  return host;
}

/**
 * The absolute URL the client addressed, which a proof's `htu` must name:
 * `publicUrl` + path when configured; else from `X-Forwarded-Proto`/`-Host`/
 * `-Prefix` when `trustProxy`; else from the `Host` header and the connection.
 * Header values are checked, never pasted: a host must be an RFC 3986
 * `uri-host [":" port]` (and in `allowedHosts` when set), a proto `http` or
 * `https`, a prefix a plain path; anything else is a {@link DpopRequestError}.
 * @internal
 */
export function requestUrl(request: HttpRequest, options: ResolvedDpopOptions): string {
  const path = requestTarget(request);
  if (options.publicUrl !== undefined) return options.publicUrl + path;
  const raw = nodeRequest(request);
  const headers = raw.headers;
  if (options.trustProxy) {
    const proto = lastValue(headers['x-forwarded-proto']);
    const host = lastValue(headers['x-forwarded-host']);
    if (proto !== undefined && host !== undefined) {
      const scheme = proto.toLowerCase();
      if (scheme !== 'http' && scheme !== 'https') throw new DpopRequestError('X-Forwarded-Proto is not http or https');
      const prefix = lastValue(headers['x-forwarded-prefix'])?.replace(/\/+$/, '') ?? '';
      if (prefix !== '' && (!PREFIX.test(prefix) || DOT_SEGMENT.test(prefix))) {
        throw new DpopRequestError('X-Forwarded-Prefix is not a plain path');
      }
      return `${scheme}://${checkedHost(host, 'X-Forwarded-Host', options)}${prefix}${path}`;
    }
  }
  const encrypted = (raw.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${checkedHost(headers.host, 'Host', options)}${path}`;
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

const warned = new WeakSet<object>();

/**
 * Logs once per module (at start-up, from the guard or the token interceptor) that
 * the client chooses the host its proofs are checked against, and what to set.
 * @internal
 */
export function warnWhenClientChoosesHost(options: ResolvedDpopOptions, logger: Logger): void {
  if (options.publicUrl !== undefined || options.allowedHosts !== undefined || warned.has(options)) return;
  warned.add(options);
  const header = options.trustProxy ? 'X-Forwarded-Host (or Host)' : 'Host';
  logger.warn(
    `Neither publicUrl nor allowedHosts is set: the URL a DPoP proof's htu must name takes its host from the ` +
      `request's ${header} header, which the client chooses. Set publicUrl (the URL clients call, e.g. ` +
      `'https://api.example.com') or allowedHosts (the host names this API answers to, e.g. ['api.example.com']).`,
  );
}

/**
 * The facts the authenticator decides on: the method, the URL the adapter built
 * (`url`), and the credential header lines. Refuses a path with a dot segment first.
 * @internal
 */
export function requestFacts(
  request: HttpRequest,
  url: string,
  headers: { authorization: readonly string[]; dpop: readonly string[] },
): DpopRequestFacts {
  assertNoDotSegments(requestTarget(request));
  return { method: nodeRequest(request).method ?? '', url, authorization: headers.authorization, dpop: headers.dpop };
}
