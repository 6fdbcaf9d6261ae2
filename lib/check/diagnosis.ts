import type { CheckContext } from './context.js';
import { dpopChallenge, errorCodeOf, verdictOf } from './outcome.js';
import type { CheckResponse } from './transport.js';

/** Most extra requests spent looking for the URL a server really checks. */
const MAX_PROBES = 4;

/** URLs a server behind a proxy may check instead of the one called: the other scheme, the path without its prefix. */
function alternatives(context: CheckContext): { htu: string; prefix: string; scheme?: string }[] {
  const url = new URL(context.htu);
  const other = url.protocol === 'https:' ? 'http:' : 'https:';
  const segments = url.pathname.split('/').slice(1);
  const result: { htu: string; prefix: string; scheme?: string }[] = [
    { htu: withUrl(url, other, url.pathname), prefix: '', scheme: other },
  ];
  for (let strip = 1; strip < segments.length && strip <= 2; strip++) {
    const prefix = `/${segments.slice(0, strip).join('/')}`;
    const rest = `/${segments.slice(strip).join('/')}`;
    result.push({ htu: withUrl(url, url.protocol, rest), prefix });
    if (strip === 1) result.push({ htu: withUrl(url, other, rest), prefix, scheme: other });
  }
  return result.slice(0, MAX_PROBES);
}

function withUrl(url: URL, protocol: string, path: string): string {
  return `${protocol}//${url.host}${path}`;
}

/**
 * Why the valid request was refused, as far as can be told from outside: the token (invalid_token,
 * insufficient_scope), a URL the server rebuilds differently (found by probing with proofs for other URLs),
 * or the proof itself.
 */
export async function diagnoseBaseline(context: CheckContext, response: CheckResponse): Promise<string[]> {
  const verdict = verdictOf(response);
  if (verdict === 'other') {
    return [
      `The valid request got HTTP ${response.status}, neither an answer nor a refusal: check the URL and ` +
        '--method (is it the protected route?), and the server log.',
    ];
  }
  const code = errorCodeOf(response);
  if (code === 'insufficient_scope') return ['The token lacks a scope the route needs: pass --scope.'];
  if (code === 'invalid_token') {
    return [
      'The access token itself is refused (invalid_token): expired, issued by another issuer, for another ' +
        'audience (--resource), or not bound to this key (--key).',
    ];
  }
  for (const probe of alternatives(context)) {
    if (verdictOf((await context.dpop({}, { htu: probe.htu })).response) !== 'accepted') continue;
    const what = [
      probe.scheme ? `${probe.scheme.slice(0, -1)} instead of ${context.target.protocol.slice(0, -1)}` : '',
      probe.prefix ? `without the path prefix ${probe.prefix}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const publicUrl = `${context.target.origin}${probe.prefix}`;
    return [
      `A proof for ${probe.htu} is accepted but one for ${context.htu} is not: the server rebuilds a different URL ` +
        `than the one clients call (${what}), as behind a proxy. Set publicUrl to the URL clients call, here ` +
        `'${publicUrl}' (nestjs-dpop: DpopModule.forRoot({ publicUrl })), or, when a proxy you control sets ` +
        'X-Forwarded-Proto/-Host/-Prefix, trust them (trustProxy).',
    ];
  }
  if (code === 'use_dpop_nonce')
    return ['The server keeps asking for a nonce (use_dpop_nonce) and refuses the proofs carrying it.'];
  const description = dpopChallenge(response)?.get('error_description')?.slice(0, 120);
  return [
    `The server refuses the proof (${code ?? `HTTP ${response.status}`}${description ? `: ${description}` : ''}). ` +
      `Is ${context.key.alg} among its algorithms, and are both clocks right?`,
  ];
}
