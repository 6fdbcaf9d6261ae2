/**
 * Normalisation of `htu` and request URLs for comparison (RFC 9449 §4.3):
 * syntax-based and scheme-based normalisation of RFC 3986 §6.2.2–6.2.3.
 * The parser is strict on the authority so that no host can be smuggled in
 * (userinfo, backslashes, bad ports are refused) and lenient on the path,
 * where characters outside RFC 3986 are percent-encoded as UTF-8 the same
 * way on both sides.
 */

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
/** scheme "://" authority path [ "?" query ] [ "#" fragment ] */
const ABSOLUTE_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;
/** reg-name or IPv4 (unreserved / pct-encoded / sub-delims), or an IP literal. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)$/;
const PORT = /^[0-9]{0,5}$/;
/** pchar / "/" (RFC 3986 §3.3); '%' is handled separately. */
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Longest URL accepted; anything longer is not a URL this library compares. */
const MAX_URL_LENGTH = 8192;

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** Upper-cases percent-encodings, decodes unreserved ones, encodes stray characters. */
function normalizePercentEncoding(input: string, allowed: RegExp): string | undefined {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '%') {
      if (!isHex(input.charCodeAt(i + 1)) || !isHex(input.charCodeAt(i + 2))) return undefined;
      const byte = parseInt(input.slice(i + 1, i + 3), 16);
      const decoded = String.fromCharCode(byte);
      out += byte < 0x80 && UNRESERVED.test(decoded) ? decoded : `%${input.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
    } else if (allowed.test(ch)) {
      out += ch;
    } else {
      const code = input.codePointAt(i)!;
      if (code > 0xffff) i++;
      if (code >= 0xd800 && code <= 0xdfff) return undefined; // lone surrogate
      for (const byte of Buffer.from(String.fromCodePoint(code), 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

/** RFC 3986 §5.2.4 remove_dot_segments. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) output.push('');
    } else if (segment === '..') {
      output.pop();
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  }
  return `/${output.join('/')}`;
}

/**
 * Normalises an absolute `http`/`https` URL for comparison with a DPoP
 * proof's `htu`: lower-case scheme and host, no default or empty port,
 * canonical percent-encoding, no dot segments, `/` for an empty path; query
 * and fragment dropped; path case kept. Returns `undefined` for anything
 * that is not such a URL (userinfo, a port over 65535, a bad host, a bad
 * percent-encoding).
 * @publicApi
 */
export function normalizeHtu(url: string): string | undefined {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return undefined;
  const match = ABSOLUTE_URL.exec(url);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const defaultPort = DEFAULT_PORTS[scheme];
  if (defaultPort === undefined) return undefined;

  const authority = match[2]!;
  const portSeparator = authority.lastIndexOf(':');
  const hasPort = portSeparator !== -1 && portSeparator > authority.lastIndexOf(']');
  const rawHost = hasPort ? authority.slice(0, portSeparator) : authority;
  const rawPort = hasPort ? authority.slice(portSeparator + 1) : '';
  if (!HOST.test(rawHost) || !PORT.test(rawPort)) return undefined;
  const host = normalizePercentEncoding(rawHost, /[^%]/)?.toLowerCase();
  if (!host) return undefined;
  let port = '';
  if (rawPort !== '') {
    const number = Number(rawPort);
    if (number > 65_535) return undefined;
    if (String(number) !== defaultPort) port = `:${number}`;
  }

  const encodedPath = normalizePercentEncoding(match[3]!, PATH_CHAR);
  if (encodedPath === undefined) return undefined;
  const path = encodedPath === '' ? '/' : removeDotSegments(encodedPath);
  return `${scheme}://${host}${port}${path}`;
}

/**
 * The request URL without query and fragment, as a proof's `htu` names it
 * when the client did not alter it: the fast path before normalising.
 * @internal
 */
export function stripQueryAndFragment(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
