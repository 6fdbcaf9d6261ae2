import { applyDecorators, Body, Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SampleConfig } from '../sample.config.js';

/**
 * The browser client of the sample: a public client (`demo-spa`) that runs in
 * the page with plain WebCrypto, no library.
 *
 * `GET /client` makes a non-extractable ES256 key pair, keeps it in IndexedDB
 * and sends the browser to the authorization endpoint (code + PKCE, answer by
 * `form_post`). `POST /client/callback` receives the code, asks the token
 * endpoint for a DPoP-bound token with a proof signed by that key, calls
 * `GET /api/me` with the token and a second proof, then the GraphQL `me` query
 * (`POST /graphql`) with a third, and shows every step.
 */

// The browser code. It runs on both pages: the JSON block `#params` says which.
// (String.raw and no `${` inside: this is the script exactly as the browser gets it.)
const SCRIPT = String.raw`
const params = JSON.parse(document.getElementById('params').textContent);
const issuer = params.issuer;
const CLIENT_ID = 'demo-spa';
const redirectUri = issuer + '/client/callback';
const log = [];

function step(text) {
  log.push(text);
  const li = document.createElement('li');
  li.textContent = text;
  document.getElementById('steps').append(li);
}

// --- encoding and hashing ---
const utf8 = (text) => new TextEncoder().encode(text);
const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
const random = (size) => b64url(crypto.getRandomValues(new Uint8Array(size)));
const sha256 = async (text) => b64url(await crypto.subtle.digest('SHA-256', utf8(text)));
function decodeJwt(jwt) {
  const part = jwt.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

// --- the key pair, kept in IndexedDB (a CryptoKey survives structured cloning, its private part stays hidden) ---
function keyStore(mode, use) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('nestjs-dpop-sample', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('keys', mode);
      const request = use(tx.objectStore('keys'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    };
  });
}
const saveKeys = (keys) => keyStore('readwrite', (store) => store.put(keys, CLIENT_ID));
const loadKeys = () => keyStore('readonly', (store) => store.get(CLIENT_ID));

// RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
const thumbprint = (jwk) => sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }));

// --- DPoP proofs (RFC 9449 section 4) ---
async function createProof(keys, jwk, htm, htu, claims) {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: jwk };
  const payload = { jti: random(16), htm: htm, htu: htu, iat: Math.floor(Date.now() / 1000), ...claims };
  const input = b64url(utf8(JSON.stringify(header))) + '.' + b64url(utf8(JSON.stringify(payload)));
  // WebCrypto's ECDSA signature is already r || s, the form JWS wants.
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, utf8(input));
  return input + '.' + b64url(signature);
}

// Did the server refuse the proof for want of its nonce? (400 from the AS; from the API a challenge,
// with 401 on REST routes and on GraphQL whatever status the GraphQL server answers with)
async function asksForNonce(response) {
  if (/error="use_dpop_nonce"/.test(response.headers.get('WWW-Authenticate') || '')) return true;
  if (response.status !== 400) return false;
  const body = await response.clone().json().catch(() => ({}));
  return body.error === 'use_dpop_nonce';
}

// fetch with a fresh proof; keeps the last DPoP-Nonce each server sent and retries once when asked for it.
const nonces = new Map();
async function dpopFetch(keys, jwk, url, init, claims) {
  const server = new URL(url).origin;
  for (let attempt = 1; ; attempt++) {
    const proof = await createProof(keys, jwk, init.method || 'GET', url, { nonce: nonces.get(server), ...claims });
    const response = await fetch(url, { ...init, headers: { ...init.headers, DPoP: proof } });
    const nonce = response.headers.get('DPoP-Nonce');
    if (nonce) nonces.set(server, nonce);
    if (attempt === 1 && nonce && (await asksForNonce(response))) {
      step('The server asks for a DPoP nonce: new proof with its nonce, same request again.');
      continue;
    }
    return response;
  }
}

async function failure(what, response) {
  const challenge = response.headers.get('WWW-Authenticate') || '';
  return new Error(what + ' failed: HTTP ' + response.status + ' ' + challenge + ' ' + (await response.text()));
}

// --- PAR + DPoP (RFC 9126, RFC 9449 section 10.1), the toggle /client?par=on ---
// Pushes the authorization request with a DPoP proof (the code gets bound to this key), then
// sends the browser to /authorize with client_id and request_uri only.
async function pushedAuthorizationUrl(keys, authorization) {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const response = await dpopFetch(keys, { kty: kty, crv: crv, x: x, y: y }, issuer + '/par', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(authorization),
  });
  if (!response.ok) throw await failure('Pushed authorization request', response);
  const pushed = await response.json();
  step('Pushed the authorization request (PAR) with a DPoP proof: the code will be bound to this key; ' +
    'request_uri valid ' + pushed.expires_in + ' s, once.');
  const url = new URL(issuer + '/authorize');
  url.search = new URLSearchParams({ client_id: CLIENT_ID, request_uri: pushed.request_uri }).toString();
  return url;
}

// --- page 1: GET /client ---
async function start() {
  if (location.origin !== new URL(issuer).origin) {
    location.replace(issuer + '/client' + location.search); // the callback lands on the issuer's origin: start there, same storage
    return;
  }
  if (!window.isSecureContext) throw new Error('WebCrypto needs a secure context: https, or http://localhost');
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  step('Made an ES256 key pair with WebCrypto; private key extractable: ' + keys.privateKey.extractable + '.');
  await saveKeys(keys);
  step('Stored the key pair in IndexedDB.');

  const verifier = random(32);
  const request = { verifier: verifier, state: random(16), nonce: random(16) };
  const authorization = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state: request.state,
    nonce: request.nonce,
    code_challenge: await sha256(verifier),
    code_challenge_method: 'S256',
    response_mode: 'form_post',
  };
  let url = new URL(issuer + '/authorize');
  url.search = new URLSearchParams(authorization).toString();
  if (params.par === 'on') url = await pushedAuthorizationUrl(keys, authorization);
  step('PKCE code_verifier, state and nonce kept in sessionStorage; going to the authorization endpoint.');
  sessionStorage.setItem('dpop-sample', JSON.stringify({ ...request, steps: log }));
  location.assign(url);
}

// --- page 2: POST /client/callback ---
async function finish() {
  const request = JSON.parse(sessionStorage.getItem('dpop-sample') || 'null');
  sessionStorage.removeItem('dpop-sample'); // one answer per request
  if (!request) throw new Error('No authorization request pending in this tab: start at ' + issuer + '/client');
  request.steps.forEach(step);
  if (params.error) throw new Error('Authorization failed: ' + params.error + ' ' + (params.error_description || ''));
  if (params.state !== request.state) throw new Error('The state does not match: not the answer to our request');
  step('Authorization code received by form_post; the state matches.');

  const keys = await loadKeys();
  if (!keys) throw new Error('No key pair in IndexedDB');
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const jwk = { kty: kty, crv: crv, x: x, y: y };
  const jkt = await thumbprint(jwk);
  document.getElementById('jkt').textContent = jkt;
  step('Loaded the key pair from IndexedDB; public key thumbprint (jkt) ' + jkt + '.');

  const tokenResponse = await dpopFetch(keys, jwk, issuer + '/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: redirectUri,
      client_id: CLIENT_ID,
      code_verifier: request.verifier,
    }),
  });
  if (!tokenResponse.ok) throw await failure('Token request', tokenResponse);
  const tokens = await tokenResponse.json();
  if (String(tokens.token_type).toLowerCase() !== 'dpop') {
    throw new Error('Expected a DPoP token, got ' + tokens.token_type);
  }
  step('Token endpoint: a DPoP-bound access token (cnf.jkt ' + decodeJwt(tokens.access_token).cnf?.jkt + ').');
  if (tokens.id_token) {
    // A real client also checks the ID token's signature against the AS's jwks_uri.
    if (decodeJwt(tokens.id_token).nonce !== request.nonce) throw new Error('The ID token nonce does not match');
    step('ID token for our nonce.');
  }

  const apiResponse = await dpopFetch(
    keys,
    jwk,
    issuer + '/api/me',
    { headers: { Authorization: 'DPoP ' + tokens.access_token } },
    { ath: await sha256(tokens.access_token) },
  );
  if (!apiResponse.ok) throw await failure('GET /api/me', apiResponse);
  document.getElementById('result').textContent = JSON.stringify(await apiResponse.json(), null, 2);
  step('GET /api/me with the token and a proof carrying ath: accepted.');

  // GraphQL: the proof binds the HTTP request, POST /graphql, whatever the query asks for.
  const graphqlResponse = await dpopFetch(
    keys,
    jwk,
    issuer + '/graphql',
    {
      method: 'POST',
      headers: { Authorization: 'DPoP ' + tokens.access_token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ me { sub client_id scope jkt } }' }),
    },
    { ath: await sha256(tokens.access_token) },
  );
  const graphql = await graphqlResponse.json().catch(() => ({}));
  if (!graphqlResponse.ok || graphql.errors || !graphql.data) {
    const challenge = graphqlResponse.headers.get('WWW-Authenticate') || '';
    throw new Error('POST /graphql failed: HTTP ' + graphqlResponse.status + ' ' + challenge + ' ' + JSON.stringify(graphql));
  }
  document.getElementById('graphql').textContent = JSON.stringify(graphql.data.me, null, 2);
  step('POST /graphql { me } with the same token and a new proof (htm POST, htu ' + issuer + '/graphql): accepted.');
}

(params.page === 'callback' ? finish() : start()).then(
  () => {
    if (params.page === 'callback') document.body.dataset.status = 'done';
  },
  (error) => {
    step('Error: ' + error.message);
    document.body.dataset.status = 'error';
  },
);
`;

const STYLE = `body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
code, pre { font: 13px ui-monospace, monospace; } pre { background: #f4f4f4; padding: 1rem; overflow: auto; }
[data-status=error] li:last-child { color: #b00020; }`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

// Only this script and style run; fetch goes to this origin only.
const HtmlPage = () =>
  applyDecorators(
    HttpCode(200),
    Header('Content-Type', 'text/html; charset=utf-8'),
    Header(
      'Content-Security-Policy',
      `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; ` +
        `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    ),
    Header('Cache-Control', 'no-store'),
    Header('Referrer-Policy', 'no-referrer'),
    Header('X-Content-Type-Options', 'nosniff'),
  );

/** A value for a double-quoted HTML attribute. */
const attr = (value: string | undefined) =>
  (value ?? '').replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/** The page; `params` reach the script as JSON, with `<` escaped so no value can close the script element. */
function page(params: Record<string, string | undefined>): string {
  const json = JSON.stringify(params).replaceAll('<', '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>nestjs-dpop browser client</title><style>${STYLE}</style></head>
<body>
<h1>DPoP in the browser</h1>
<p>Flow: <a href="${attr(params.issuer)}/client">authorization code + PKCE</a> ·
<a href="${attr(params.issuer)}/client?par=on">PAR + DPoP</a></p>
<ol id="steps"></ol>
<p>Key thumbprint (jkt): <code id="jkt"></code></p>
<pre id="result"></pre>
<p>GraphQL <code>{ me }</code>:</p>
<pre id="graphql"></pre>
<script type="application/json" id="params">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

@Controller('client')
export class ClientController {
  constructor(private readonly config: SampleConfig) {}

  @Get()
  @HtmlPage()
  start(@Query('par') par?: unknown): string {
    return page({ page: 'start', issuer: this.config.issuer, par: par === 'on' ? 'on' : undefined });
  }

  /** The redirect URI: the authorization server's form_post page submits here. */
  @Post('callback')
  @HtmlPage()
  callback(@Body() body: Record<string, unknown>): string {
    return page({
      page: 'callback',
      issuer: this.config.issuer,
      code: text(body.code),
      state: text(body.state),
      error: text(body.error),
      error_description: text(body.error_description),
    });
  }
}
