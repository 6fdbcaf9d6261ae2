import { oauthError } from './oauth-error.js';

/** What a repeated or structured parameter is answered with (RFC 6749 §5.2: a fixed text, nothing echoed). */
export const REPEATED_PARAMETER = 'Every parameter must be given once, as a string';

/**
 * Reads request parameters that must each appear at most once, as strings (RFC 6749 §3.1, §3.2):
 * a repeated or structured value (`scope=a&scope=b`, `code[]=x`) is an `invalid_request`.
 */
export function singleParams(input: unknown): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((input ?? {}) as Record<string, unknown>)) {
    // A fixed text: the parameter's name is the client's input (it may hold CR/LF or quotes).
    if (typeof value !== 'string') throw oauthError('invalid_request', REPEATED_PARAMETER);
    params[name] = value;
  }
  return params;
}
