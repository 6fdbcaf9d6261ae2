const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** Start of a challenge: `<scheme> ` at the header's start or after a comma, followed by an auth-param or token68. */
const CHALLENGE_START = new RegExp(`(?:^|,)\\s*(${TOKEN})(?=\\s+${TOKEN}\\s*=|\\s*$|\\s*,)`, 'g');
const ERROR_PARAM = new RegExp(`(?:^|[\\s,])error\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))`, 'i');

/**
 * The `error` auth-param of the `DPoP` challenge (else the `Bearer` one) in
 * a `WWW-Authenticate` header value (RFC 9110 §11.6.1, RFC 9449 §7.1), e.g.
 * `use_dpop_nonce` or `invalid_token`; undefined when there is none.
 * @internal
 */
export function challengeError(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const starts = [...header.matchAll(CHALLENGE_START)];
  const challenges = starts.map((match, index) => ({
    scheme: match[1]!.toLowerCase(),
    params: header.slice(match.index + match[0].length, starts[index + 1]?.index ?? header.length),
  }));
  for (const scheme of ['dpop', 'bearer']) {
    const challenge = challenges.find((candidate) => candidate.scheme === scheme);
    const match = challenge && ERROR_PARAM.exec(challenge.params);
    if (match) return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
  }
  return undefined;
}
