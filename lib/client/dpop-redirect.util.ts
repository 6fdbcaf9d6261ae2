import { DpopClientError } from './dpop-client.error.js';

/** What a followed redirect leads to. @internal */
export interface RedirectTarget {
  url: URL;
  method: string;
  /** The method is unchanged, so is the body. */
  keepBody: boolean;
  sameOrigin: boolean;
}

/**
 * Redirects are followed by the client itself, never by `fetch` or axios, so
 * that each request gets a proof naming its own method and URL. At most this
 * many per call, like `fetch` (WHATWG Fetch §4.4); one more ends the call with
 * `too_many_redirects`.
 * @internal
 */
export const MAX_REDIRECTS = 20;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a body; dropped with it when a redirect turns the request into a GET. @internal */
export const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

/**
 * The next request of a redirect, or undefined when `status` is not one or
 * its `Location` is not an http(s) URL (then the response is the answer).
 * The method changes as `fetch` changes it: 303 turns anything but GET/HEAD
 * into GET, 301/302 turn POST into GET; the body is kept only when the
 * method is (307 and 308 always keep both).
 * @internal
 */
export function redirectTarget(
  status: number,
  location: string | null,
  from: string,
  method: string,
): RedirectTarget | undefined {
  if (!REDIRECT_STATUSES.has(status) || location === null || !URL.canParse(location, from)) return undefined;
  const url = new URL(location, from);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const upper = method.toUpperCase();
  const toGet = (status === 303 && upper !== 'GET' && upper !== 'HEAD') || (status <= 302 && upper === 'POST');
  const next = toGet ? 'GET' : upper;
  return { url, method: next, keepBody: !toGet, sameOrigin: url.origin === new URL(from).origin };
}

/** The error of a call redirected more than {@link MAX_REDIRECTS} times (no URL: the later ones are the server's choice). @internal */
export function tooManyRedirects(): DpopClientError {
  return new DpopClientError('too_many_redirects', `An API redirected one request more than ${MAX_REDIRECTS} times.`);
}
