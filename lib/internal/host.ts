import { isIPv6 } from 'node:net';

/** unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2 reg-name, which also covers IPv4address). */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const PORT = /^[0-9]{1,5}$/;

/** A `Host` value taken apart: the host lower-cased, the port as given (digits) or undefined. @internal */
export interface ParsedHost {
  host: string;
  port?: string;
}

/**
 * Parses an RFC 3986 `uri-host [":" port]`: a reg-name, an IPv4 address or a
 * bracketed IPv6 literal, and an optional port from 1 to 65535. Anything else
 * (a `/ ? # @ \`, whitespace, an empty host or port, a zone id) is undefined, so a
 * client cannot move the path, query or authority of the URL a proof is held to.
 * @internal
 */
export function parseHost(value: string | undefined): ParsedHost | undefined {
  if (value === undefined || value.length === 0 || value.length > 300) return undefined;
  let host: string;
  let rest: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return undefined;
    host = value.slice(0, close + 1);
    rest = value.slice(close + 1);
    if (!isIPv6(host.slice(1, -1)) || host.includes('%')) return undefined;
  } else {
    const colon = value.indexOf(':');
    host = colon === -1 ? value : value.slice(0, colon);
    rest = colon === -1 ? '' : value.slice(colon);
    if (!REG_NAME.test(host)) return undefined;
  }
  if (rest === '') return { host: host.toLowerCase() };
  const port = rest.slice(1);
  if (rest[0] !== ':' || !PORT.test(port) || Number(port) < 1 || Number(port) > 65_535) return undefined;
  return { host: host.toLowerCase(), port };
}
