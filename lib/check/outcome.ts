import { oauthErrorCode, parseChallenges } from '../client/dpop-challenge.util.js';
import type { CheckResponse } from './transport.js';

/** How a response is read: the request was let through, refused, or neither (an error page, a redirect…). */
export type Verdict = 'accepted' | 'refused' | 'other';

/** accepted: 2xx; refused: 400, 401, 403; other: anything else (404, 5xx, 3xx). */
export function verdictOf(response: CheckResponse): Verdict {
  if (response.status >= 200 && response.status < 300) return 'accepted';
  if (response.status === 400 || response.status === 401 || response.status === 403) return 'refused';
  return 'other';
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** The challenges of the response's `WWW-Authenticate` (lower-cased schemes). */
export function challengesOf(response: CheckResponse): { scheme: string; params: Map<string, string> }[] {
  const text = headerText(response.headers['www-authenticate']);
  return text.length > 8192 ? [] : parseChallenges(text);
}

/** The `DPoP` challenge of the response, if any. */
export function dpopChallenge(response: CheckResponse): Map<string, string> | undefined {
  return challengesOf(response).find((challenge) => challenge.scheme === 'dpop')?.params;
}

/** The OAuth `error` code: from the DPoP (else Bearer) challenge, else from a JSON body. */
export function errorCodeOf(response: CheckResponse): string | undefined {
  const challenges = challengesOf(response);
  for (const scheme of ['dpop', 'bearer']) {
    const error = challenges.find((challenge) => challenge.scheme === scheme)?.params.get('error');
    if (error !== undefined) return oauthErrorCode(error);
  }
  try {
    return oauthErrorCode((JSON.parse(response.body) as { error?: unknown }).error);
  } catch {
    return undefined;
  }
}

/** The `DPoP-Nonce` header, when there is exactly one well-formed value (RFC 9449 §8.1 NQCHAR). */
export function nonceOf(response: CheckResponse): string | undefined {
  const value = response.headers['dpop-nonce'];
  return typeof value === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]{1,512}$/.test(value) ? value : undefined;
}

/** A short, printable account of a response: `200`, `401 invalid_dpop_proof`. Never the body. */
export function describeResponse(response: CheckResponse): string {
  const code = errorCodeOf(response);
  return code === undefined ? String(response.status) : `${response.status} ${code.slice(0, 40)}`;
}
