import { createHash } from 'node:crypto';

/** How an authorization response travels back to the client. @publicApi */
export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** A response type after parsing: its values and whether `x_post` adorned it. @publicApi */
export interface ParsedResponseType {
  /** The response-name values other than `x_post`, sorted: e.g. `['code', 'id_token']`. */
  values: ReadonlyArray<'code' | 'token' | 'id_token' | 'none'>;
  /** `x_post` was present: the response must be POSTed (OAuth 2.0 POST Response Types). */
  post: boolean;
  /** The values in canonical order, space-separated, without `x_post`. */
  name: string;
}

/** An authorization request the endpoint refuses; `error` is the OAuth error code. @publicApi */
export class AuthorizationRequestError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'unsupported_response_type',
    message: string,
  ) {
    super(message);
    this.name = 'AuthorizationRequestError';
  }
}

const KNOWN = new Set(['code', 'token', 'id_token', 'none']);
/** Combinations without `x_post` (RFC 6749, OAuth 2.0 Multiple Response Type Encoding Practices). */
const PLAIN = new Set([
  'code',
  'token',
  'id_token',
  'none',
  'code id_token',
  'code token',
  'id_token token',
  'code id_token token',
]);
/** The four combinations the POST response types document registers with `x_post`. */
const POST = new Set(['id_token', 'token', 'code id_token', 'id_token token']);
const ORDER = ['code', 'id_token', 'token', 'none'];

/**
 * Parses `response_type`: space-separated values in any order, optionally
 * adorned with `x_post`. Only registered combinations are accepted.
 * @publicApi
 */
export function parseResponseType(value: unknown): ParsedResponseType {
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) {
    throw new AuthorizationRequestError('invalid_request', 'response_type is required');
  }
  const parts = value.split(' ');
  if (parts.some((part) => part === '') || new Set(parts).size !== parts.length) {
    throw new AuthorizationRequestError('invalid_request', 'response_type is malformed');
  }
  const post = parts.includes('x_post');
  const values = parts.filter((part) => part !== 'x_post');
  if (values.some((part) => !KNOWN.has(part))) {
    throw new AuthorizationRequestError('unsupported_response_type', 'response_type is not supported');
  }
  values.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  const name = values.join(' ');
  if (!(post ? POST : PLAIN).has(name)) {
    throw new AuthorizationRequestError('unsupported_response_type', 'response_type is not supported');
  }
  return { values: values as ParsedResponseType['values'], post, name };
}

/**
 * The response mode to use: `form_post` for `x_post` types, else the one
 * asked for, else `query` for `code`/`none` and `fragment` when tokens are
 * returned. Tokens are never put in the query.
 * @publicApi
 */
export function resolveResponseMode(responseType: ParsedResponseType, requested?: unknown): ResponseMode {
  const returnsTokens = responseType.values.some((value) => value === 'token' || value === 'id_token');
  if (requested === undefined || requested === '') {
    if (responseType.post) return 'form_post';
    return returnsTokens ? 'fragment' : 'query';
  }
  if (requested !== 'query' && requested !== 'fragment' && requested !== 'form_post') {
    throw new AuthorizationRequestError('invalid_request', 'response_mode is not supported');
  }
  if (responseType.post && requested !== 'form_post') {
    throw new AuthorizationRequestError('invalid_request', 'x_post response types are answered with form_post');
  }
  if (requested === 'query' && returnsTokens) {
    throw new AuthorizationRequestError('invalid_request', 'tokens are never returned in the query');
  }
  return requested;
}

/** What to send to the user agent. @publicApi */
export interface AuthorizationResponse {
  /** The client's registered redirect URI (check it before calling this). */
  redirectUri: string;
  responseMode: ResponseMode;
  /** Response (or error) parameters; undefined members are left out. */
  params: Record<string, string | undefined>;
}

/** A rendered response: status, headers and body. @publicApi */
export interface RenderedAuthorizationResponse {
  status: 302 | 200;
  headers: Record<string, string>;
  body: string;
}

const SUBMIT_SCRIPT = 'document.forms[0].submit();';
const SUBMIT_SCRIPT_HASH = `'sha256-${createHash('sha256').update(SUBMIT_SCRIPT).digest('base64')}'`;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

function entries(params: Record<string, string | undefined>): [string, string][] {
  return Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

/**
 * Renders an authorization response: a 302 redirect with the parameters in
 * the query or the fragment, or (for `form_post` and `x_post` types) the
 * self-submitting HTML form of the OAuth 2.0 POST Response Types document:
 * `method="post"`, `action` the redirect URI, one hidden input per parameter,
 * every value escaped, a `<noscript>` submit button, `Cache-Control:
 * no-store`, `Pragma: no-cache`, and a Content-Security-Policy that allows
 * only the submit script. Error responses are rendered the same way.
 * @publicApi
 */
export function renderAuthorizationResponse(response: AuthorizationResponse): RenderedAuthorizationResponse {
  let target: URL;
  try {
    target = new URL(response.redirectUri);
  } catch {
    throw new AuthorizationRequestError('invalid_request', 'redirect_uri is not an absolute URL');
  }
  if (['javascript:', 'data:', 'vbscript:', 'file:'].includes(target.protocol) || target.hash) {
    throw new AuthorizationRequestError('invalid_request', 'redirect_uri cannot receive an authorization response');
  }
  const params = entries(response.params);
  const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  if (response.responseMode !== 'form_post') {
    const encoded = new URLSearchParams(params).toString();
    if (response.responseMode === 'query') {
      for (const [name, value] of params) target.searchParams.append(name, value);
    } else {
      target.hash = encoded;
    }
    return { status: 302, headers: { ...noStore, Location: target.href }, body: '' };
  }
  const inputs = params
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}"/>`)
    .join('\n');
  const body = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Submit This Form</title></head>
<body>
<form method="post" action="${escapeHtml(target.href)}">
${inputs}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>${SUBMIT_SCRIPT}</script>
</body>
</html>
`;
  const formAction = target.origin !== 'null' ? `; form-action ${target.origin}` : '';
  return {
    status: 200,
    headers: {
      ...noStore,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; script-src ${SUBMIT_SCRIPT_HASH}; base-uri 'none'; frame-ancestors 'none'${formAction}`,
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  };
}
