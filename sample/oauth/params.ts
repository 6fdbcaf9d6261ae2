import { oauthError } from './oauth-error.js';

/**
 * Reads request parameters that must each appear at most once, as strings (RFC 6749 §3.1, §3.2):
 * a repeated or structured value (`scope=a&scope=b`, `code[]=x`) is an `invalid_request`.
 */
export function singleParams(input: unknown): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((input ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') throw oauthError('invalid_request', `${name} must be given once, as a string`);
    params[name] = value;
  }
  return params;
}
