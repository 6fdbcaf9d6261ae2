import { mustAccept, mustRefuse, type CheckCase } from './case.js';
import type { CheckContext } from './context.js';

const S43 = 'RFC 9449 §4.3';
const HOUR = 3600;
const now = () => Math.floor(Date.now() / 1000);

/** The target URL with its host, scheme or port replaced (the proof's `htu`, never where the request goes). */
function htuWith(context: CheckContext, change: (url: URL) => void): string {
  const url = new URL(context.htu);
  change(url);
  return url.href;
}

const flipScheme = (context: CheckContext) =>
  context.htu.replace(/^https?:/, (s) => (s === 'https:' ? 'http:' : 'https:'));

/** The htu with its host written exactly as `host` (a URL object would lower-case it). */
function withRawHost(context: CheckContext, host: string, scheme = context.target.protocol.slice(0, -1)): string {
  const port = context.target.port ? `:${context.target.port}` : '';
  return `${scheme}://${host}${port}${context.target.pathname}`;
}

/** Every RFC 9449 §4.3 check broken one at a time: the server must refuse each proof. */
export const BROKEN_PROOF_CASES: CheckCase[] = [
  mustRefuse(
    'typ-wrong',
    'typ is "jwt"',
    `${S43} (4)`,
    'The server does not check the typ header (must be dpop+jwt).',
    {
      header: { typ: 'jwt' },
    },
  ),
  mustRefuse('typ-missing', 'no typ header', `${S43} (4)`, 'The server does not require typ "dpop+jwt".', {
    header: { typ: undefined },
  }),
  mustRefuse('alg-none', 'alg "none", no signature', `${S43} (5)`, 'The server accepts unsigned proofs (alg none).', {
    signature: 'none',
  }),
  mustRefuse('alg-hs256', 'a symmetric alg (HS256)', `${S43} (5)`, 'The server accepts a MAC (HS256) as a proof.', {
    signature: 'hs256',
  }),
  mustRefuse('jwk-private', 'jwk carries a private key (d)', `${S43} (7)`, 'The server accepts a jwk with "d".', {
    header: { jwk: { d: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
  }),
  mustRefuse('jwk-missing', 'no jwk header', 'RFC 9449 §4.2', 'The server takes the key from elsewhere than jwk.', {
    header: { jwk: undefined },
  }),
  mustRefuse('bad-signature', 'a signature that does not verify', `${S43} (6)`, 'The signature is not checked.', {
    signature: 'corrupt',
  }),
  mustRefuse('no-jti', 'no jti claim', `${S43} (3)`, 'The server does not require jti (nor detect replay).', {
    claims: { jti: undefined },
  }),
  mustRefuse('no-htm', 'no htm claim', `${S43} (3)`, 'The server does not require htm.', {
    claims: { htm: undefined },
  }),
  mustRefuse('no-htu', 'no htu claim', `${S43} (3)`, 'The server does not require htu.', {
    claims: { htu: undefined },
  }),
  mustRefuse('no-iat', 'no iat claim', `${S43} (3)`, 'The server does not require iat.', {
    claims: { iat: undefined },
  }),
  mustRefuse('no-ath', 'no ath claim', 'RFC 9449 §7', 'The proof is not bound to the token (ath).', {
    claims: { ath: undefined },
  }),
  mustRefuse('htm-wrong', 'htm names another method', `${S43} (8)`, 'The server does not compare htm.', (c) => [
    {},
    { htm: c.method === 'POST' ? 'PUT' : 'POST' },
  ]),
  mustRefuse('htu-path', 'htu names another path', `${S43} (9)`, 'The server does not compare the htu path.', (c) => [
    {},
    { htu: htuWith(c, (url) => (url.pathname = `/other${url.pathname}`)) },
  ]),
  mustRefuse('htu-host', 'htu names another host', `${S43} (9)`, 'The server does not compare the htu host.', (c) => [
    {},
    { htu: htuWith(c, (url) => (url.hostname = 'dpop-check.invalid')) },
  ]),
  mustRefuse(
    'htu-scheme',
    'htu names the other scheme',
    `${S43} (9)`,
    'The server ignores the htu scheme (or rebuilds the URL so both match).',
    (c) => [{}, { htu: flipScheme(c) }],
  ),
  mustRefuse('htu-port', 'htu names another port', `${S43} (9)`, 'The server does not compare the htu port.', (c) => [
    {},
    { htu: htuWith(c, (url) => (url.port = String(((Number(url.port) || 443) % 65_535) + 1))) },
  ]),
  mustRefuse(
    'iat-future',
    'iat an hour ahead',
    `${S43} (11), §11.1`,
    'The server accepts proofs made for the future: its iat window is unbounded.',
    () => [{ claims: { iat: now() + HOUR } }, {}],
  ),
  mustRefuse(
    'iat-past',
    'iat an hour old',
    `${S43} (11), §11.1`,
    'The server accepts old proofs: its iat window is too wide (minutes, not hours).',
    () => [{ claims: { iat: now() - HOUR } }, {}],
  ),
  mustRefuse('ath-wrong', 'ath of another token', `${S43} (12)`, 'The server does not compare ath with the token.', {
    claims: { ath: 'jLXhS1YU0sJRrkMcmK_Q_MdALlF_EefNh-yRfBqbkxI' },
  }),
  mustRefuse(
    'other-key',
    'a valid proof by another key',
    `${S43} (12)`,
    "The server does not check that the proof's key is the one the token is bound to (cnf.jkt).",
    (c) => [{ signer: c.otherKey, header: { jwk: c.otherKey.publicJwk } }, {}],
  ),
];

const NORMALISE = `${S43} (9)`;
const STRING_COMPARE =
  'The server compares htu as a string; RFC 9449 §4.3 asks for RFC 3986 §6.2.2–6.2.3 normalisation first.';

/** Valid proofs written differently: the server must accept each. */
export const VALID_VARIANT_CASES: CheckCase[] = [
  mustAccept('htu-upper-scheme', 'htu scheme in upper case', NORMALISE, STRING_COMPARE, (c) => [
    {},
    { htu: c.htu.replace(/^https?/, (s) => s.toUpperCase()) },
  ]),
  mustAccept('htu-upper-host', 'htu host in upper case', NORMALISE, STRING_COMPARE, (c) =>
    /[a-z]/.test(c.target.hostname)
      ? [{}, { htu: withRawHost(c, c.target.hostname.toUpperCase()) }]
      : 'no letters in the host',
  ),
  mustAccept('htu-default-port', 'htu with the default port spelled out', NORMALISE, STRING_COMPARE, (c) =>
    c.target.port
      ? 'the URL names a non-default port'
      : [{}, { htu: withRawHost(c, `${c.target.host}:${c.target.protocol === 'https:' ? 443 : 80}`) }],
  ),
  mustAccept('htu-query', 'htu with a query', `${S43} (9)`, 'The server does not ignore the query of htu.', (c) => [
    {},
    { htu: `${c.htu}?dpop-check=1` },
  ]),
  mustAccept(
    'htu-fragment',
    'htu with a fragment',
    `${S43} (9)`,
    'The server does not ignore the fragment of htu.',
    (c) => [{}, { htu: `${c.htu}#dpop-check` }],
  ),
  mustAccept('extra-claims', 'extra header and claims', 'RFC 9449 §4.2', 'The server refuses unknown members.', () => [
    { header: { kid: 'dpop-check' }, claims: { 'dpop-check': true, exp: now() + 60 } },
    {},
  ]),
  mustAccept(
    'iat-past-10s',
    'iat ten seconds old',
    `${S43} (11)`,
    'The iat window is too narrow (or the clock is off).',
    () => [{ claims: { iat: now() - 10 } }, {}],
  ),
  mustAccept(
    'iat-future-10s',
    'iat ten seconds ahead',
    `${S43} (11)`,
    'The server allows no clock skew ahead (or its clock is late).',
    () => [{ claims: { iat: now() + 10 } }, {}],
  ),
];
