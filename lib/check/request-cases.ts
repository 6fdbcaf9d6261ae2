import { mustAccept, mustRefuse, type CheckCase } from './case.js';
import type { CheckContext } from './context.js';
import { dpopChallenge, verdictOf } from './outcome.js';

const S43 = 'RFC 9449 §4.3';

/** The valid request: everything else is judged against it. */
export const BASELINE_CASE: CheckCase = mustAccept(
  'accepted',
  'a valid DPoP request',
  'RFC 9449 §7.1',
  'The valid request was refused; see the diagnosis.',
  {},
);

const unauthenticated = async (c: CheckContext) => (c.unauthenticated ??= await c.raw({}));

type Headers = Record<string, string | string[]>;

/** A request with exactly these credential headers, which the server must refuse. */
function refuseHeaders(
  id: string,
  title: string,
  section: string,
  hint: string,
  headers: (c: CheckContext) => Promise<Headers>,
): CheckCase {
  return {
    id,
    title,
    section,
    hint,
    expect: 'refused',
    required: true,
    run: async (c) => ({ response: await c.raw(await headers(c)) }),
  };
}

/** The request's headers and scheme broken or downgraded. */
export const REQUEST_CASES: CheckCase[] = [
  refuseHeaders(
    'no-proof',
    'the token without a proof',
    'RFC 9449 §7.1',
    'A DPoP token is accepted with no proof.',
    async (c) => ({
      authorization: `DPoP ${c.token}`,
    }),
  ),
  refuseHeaders(
    'proof-without-token',
    'a proof without the token',
    'RFC 9449 §7',
    'A proof alone lets the request through.',
    async (c) => ({
      dpop: await c.proof(),
    }),
  ),
  refuseHeaders(
    'not-a-jwt',
    'a DPoP header that is not a JWT',
    `${S43} (2)`,
    'A malformed DPoP header is ignored.',
    async (c) => ({
      authorization: `DPoP ${c.token}`,
      dpop: 'not-a-jwt',
    }),
  ),
  refuseHeaders(
    'dpop-twice',
    'two DPoP header lines',
    `${S43} (1)`,
    'The server reads one of two DPoP headers (Node joins them with ", ": count them in rawHeaders).',
    async (c) => ({ authorization: `DPoP ${c.token}`, dpop: [await c.proof(), await c.proof()] }),
  ),
  refuseHeaders(
    'bearer',
    'the DPoP token as a Bearer token',
    'RFC 9449 §7.2',
    'Bearer downgrade: a DPoP-bound token (cnf.jkt) is accepted as a bearer token, so a stolen token works without the key.',
    async (c) => ({ authorization: `Bearer ${c.token}` }),
  ),
  mustRefuse(
    'bearer-with-proof',
    'Bearer scheme with a valid proof',
    'RFC 9449 §7.2',
    'A DPoP-bound token is accepted under the Bearer scheme.',
    () => [{}, { scheme: 'Bearer' }],
  ),
  mustAccept(
    'scheme-lowercase',
    'the scheme written "dpop"',
    'RFC 9110 §11.1',
    'The Authorization scheme is compared case-sensitively; RFC 9110 says it is case-insensitive.',
    () => [{}, { scheme: 'dpop' }],
    false,
  ),
  mustAccept(
    'request-query',
    'the request with a query, htu without',
    `${S43} (9)`,
    'The server compares htu with the URL including its query (unless the API refuses the unknown parameter itself).',
    (c) => [{}, { path: `${c.path}${c.target.search ? '&' : '?'}dpop-check=1` }],
  ),
];

/** Replay and nonces: run after the others, so that any nonce the server asks for has been asked. */
export const STATE_CASES: CheckCase[] = [
  {
    id: 'replay',
    title: 'an accepted proof sent again',
    section: 'RFC 9449 §11.1',
    expect: 'refused',
    required: true,
    hint:
      'Replay detection is missing: the server accepted the same proof twice. Remember every jti for the iat ' +
      'window and refuse it when seen again (with nestjs-dpop: a DpopStore shared by every instance).',
    run: async (c) => {
      const first = await c.dpop();
      if (verdictOf(first.response) !== 'accepted') return { skip: 'no proof was accepted to replay' };
      return { response: await c.raw(first.headers) };
    },
  },
  {
    id: 'nonce',
    title: 'use_dpop_nonce, then the nonce',
    section: 'RFC 9449 §9',
    expect: 'accepted with the nonce',
    required: true,
    hint:
      'The server asks for a nonce but refuses the proof that carries it: do all its instances share the nonce ' +
      'secret, and does it check the nonce it sent?',
    run: async (c) =>
      !c.nonce.asked
        ? { skip: 'the server never asked for a nonce' }
        : {
            holds: c.nonce.acceptedAfterAsking,
            observed: c.nonce.acceptedAfterAsking ? 'use_dpop_nonce, then accepted' : 'refused with its own nonce',
          },
  },
  {
    id: 'nonce-wrong',
    title: 'a nonce the server did not send',
    section: `${S43} (10)`,
    expect: 'refused',
    required: true,
    hint: 'The server asks for a nonce but does not compare it with the one it sent.',
    run: async (c) =>
      !c.nonce.asked
        ? { skip: 'the server never asked for a nonce' }
        : {
            response: (await c.dpop({ claims: { nonce: 'dpop-check-wrong-nonce' } }, { retryOnNonce: false })).response,
          },
  },
  {
    id: 'no-credentials',
    title: 'no Authorization, no proof',
    section: 'RFC 9449 §7.1',
    expect: 'refused',
    required: true,
    hint: 'The URL is not protected: a request without credentials is let through.',
    run: async (c) => ({ response: await unauthenticated(c) }),
  },
  {
    id: 'challenge',
    title: 'a 401 with a DPoP challenge',
    section: 'RFC 9449 §7.1',
    expect: '401, DPoP challenge',
    required: false,
    hint: 'Without a DPoP challenge (WWW-Authenticate: DPoP ...) clients cannot tell this API wants DPoP.',
    run: async (c) => {
      const response = await unauthenticated(c);
      const holds = response.status === 401 && dpopChallenge(response) !== undefined;
      return { holds, observed: `${response.status}${holds ? ', DPoP' : ', no DPoP challenge'}` };
    },
  },
  {
    id: 'challenge-algs',
    title: "the challenge's algs",
    section: 'RFC 9449 §7.1',
    expect: 'algs listing the key',
    required: false,
    hint: 'The DPoP challenge should list the accepted algorithms (algs="ES256 ...") so clients can pick a key.',
    run: async (c) => {
      const algs = dpopChallenge(await unauthenticated(c))?.get('algs');
      if (algs === undefined) return { holds: false, observed: 'no algs' };
      const listed = algs.split(/\s+/).filter(Boolean);
      return { holds: listed.includes(c.key.alg), observed: `algs="${listed.join(' ').slice(0, 80)}"` };
    },
  },
];
