const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** `name = token` or `name = "quoted string"`, then a comma or the end (RFC 9110 §11.2). */
const AUTH_PARAM = new RegExp(`[\\s,]*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*(?=,|$)`, 'y');
/** An auth-scheme, optionally followed by a token68. */
const SCHEME = new RegExp(`[\\s,]*(${TOKEN})(?:\\s+[A-Za-z0-9\\-._~+/]+=*)?\\s*(?=,|\\s|$)`, 'y');

/**
 * Parses a `WWW-Authenticate` value into challenges (lower-cased scheme, params). Stops at the first malformed part.
 * @internal
 */
export function parseChallenges(header: string): { scheme: string; params: Map<string, string> }[] {
  const challenges: { scheme: string; params: Map<string, string> }[] = [];
  let position = 0;
  while (position < header.length) {
    AUTH_PARAM.lastIndex = position;
    const param = challenges.length > 0 ? AUTH_PARAM.exec(header) : null;
    if (param) {
      const name = param[1]!.toLowerCase();
      const params = challenges.at(-1)!.params;
      if (!params.has(name)) params.set(name, param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!);
      position = AUTH_PARAM.lastIndex;
      continue;
    }
    SCHEME.lastIndex = position;
    const scheme = SCHEME.exec(header);
    if (!scheme || SCHEME.lastIndex === position) break;
    challenges.push({ scheme: scheme[1]!.toLowerCase(), params: new Map() });
    position = SCHEME.lastIndex;
  }
  return challenges;
}

/**
 * `code` when it is an OAuth `error` code that may be repeated in a message:
 * RFC 6749 §5.2's characters (%x20-21 / %x23-5B / %x5D-7E), at most 100 of
 * them; else undefined. Every `error` code the client reads, from a body or a
 * challenge, goes through this.
 * @internal
 */
export function oauthErrorCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(code) ? code : undefined;
}

/**
 * The `error` auth-param of the `DPoP` challenge (else the `Bearer` one) in
 * a `WWW-Authenticate` header value (RFC 9110 §11.6.1, RFC 9449 §7.1), e.g.
 * `use_dpop_nonce` or `invalid_token`; undefined when there is none.
 * @internal
 */
export function challengeError(header: string | null | undefined): string | undefined {
  if (!header || header.length > 8192) return undefined;
  const challenges = parseChallenges(header);
  for (const scheme of ['dpop', 'bearer']) {
    const error = challenges.find((challenge) => challenge.scheme === scheme)?.params.get('error');
    if (error !== undefined) return oauthErrorCode(error);
  }
  return undefined;
}
