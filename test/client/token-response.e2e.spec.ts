import type { INestApplicationContext } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DpopClientError } from '../../lib/client/index.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { clientModule } from './client-helpers.js';

/**
 * What the authorization server sends is checked before it is used or
 * repeated: the access token's form, the `error` code's characters, and the
 * response's size.
 */
describe('DpopTokenManager checks the token endpoint’s answer', () => {
  const contexts: INestApplicationContext[] = [];
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A client of a token endpoint that answers every request with `answer`; counts the requests. */
  async function client(answer: (res: ServerResponse) => void, extra = {}) {
    const counter = { requests: 0 };
    const server = await httpServer((_req, _body, res) => {
      counter.requests++;
      answer(res);
    });
    servers.push(server);
    const made = await clientModule({
      tokenEndpoint: `${server.url}/token`,
      clientId: 'svc',
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'secret' },
      allowInsecureRequests: true,
      ...extra,
    });
    contexts.push(made.context);
    return { tokens: made.client, counter };
  }

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (res: ServerResponse) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a DpopClientError'),
      (error: unknown) => {
        expect(error).toBeInstanceOf(DpopClientError);
        return error as DpopClientError;
      },
    );

  it.each([
    ['a space', 'two words'],
    ['CR LF (a header injection)', 'token\r\nX-Injected: 1'],
    ['"=" inside', 'abc=def'],
    ['a non-ASCII letter', 'tokén'],
    ['a comma', 'a,b'],
  ])(
    'an access_token with %s is not a token68: invalid_token_response, not cached, not in the error',
    async (_name, token) => {
      const { tokens, counter } = await client(json(200, { access_token: token, token_type: 'DPoP', expires_in: 300 }));
      const error = await failure(tokens.getAccessToken());
      expect(error.code).toBe('invalid_token_response');
      expect(inspect(error, { depth: 10 })).not.toContain(token);
      await failure(tokens.getAccessToken());
      expect(counter.requests).toBe(2);
    },
  );

  it('a token68 access_token (every allowed character, trailing "=") is used and cached', async () => {
    const token = 'AZaz09-._~+/token==';
    const { tokens, counter } = await client(json(200, { access_token: token, token_type: 'DPoP', expires_in: 300 }));
    expect(await tokens.getAccessToken()).toBe(token);
    expect(await tokens.getAccessToken()).toBe(token);
    expect(counter.requests).toBe(1);
  });

  it.each([
    ['a double quote', 'invalid_client" onload="x'],
    ['a backslash', 'invalid\\client'],
    ['a non-ASCII letter', 'invalid_clíent'],
    ['a control character', 'invalid\u0007client'],
  ])('an error code in the body with %s is not repeated in the message or oauthError', async (_name, code) => {
    const { tokens } = await client(json(400, { error: code }));
    const error = await failure(tokens.getAccessToken());
    expect(error).toMatchObject({ code: 'token_request_failed', status: 400, oauthError: undefined });
    expect(error.message).not.toContain(code);
    expect(error.message).toMatch(/HTTP 400\.$/);
  });

  it('a valid error code, in the body or in the challenge, is kept', async () => {
    const { tokens } = await client(json(400, { error: 'invalid_scope' }));
    expect(await failure(tokens.getAccessToken())).toMatchObject({ oauthError: 'invalid_scope' });
    const challenged = await client(json(401, {}, { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' }));
    const error = await failure(challenged.tokens.getAccessToken());
    expect(error).toMatchObject({ oauthError: 'invalid_dpop_proof', status: 401 });
    expect(error.message).toContain('invalid_dpop_proof');
  });

  it('an error code in a challenge outside the character set is not repeated either', async () => {
    const challenged = await client(json(401, {}, { 'www-authenticate': 'DPoP error="bad\\"code"' }));
    const error = await failure(challenged.tokens.getAccessToken());
    expect(error).toMatchObject({ code: 'token_request_failed', status: 401, oauthError: undefined });
    expect(error.message).not.toContain('bad');
  });

  it('a token response over 64 KiB is refused with token_response_too_large, even streamed without a length', async () => {
    const padding = 'a'.repeat(64 * 1024);
    const body = JSON.stringify({ access_token: 'big-token', token_type: 'DPoP', expires_in: 300, padding });
    const { tokens, counter } = await client(json(200, JSON.parse(body)));
    const error = await failure(tokens.getAccessToken());
    expect(error.code).toBe('token_response_too_large');
    expect(error.message).toContain(String(64 * 1024));
    expect(inspect(error, { depth: 10 })).not.toContain('big-token');

    const streamed = await client((res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"error":"invalid_request","error_description":"');
      for (let i = 0; i < 80; i++) res.write('x'.repeat(1024));
      res.end('"}');
    });
    expect(await failure(streamed.tokens.getAccessToken())).toMatchObject({ code: 'token_response_too_large' });
    expect(counter.requests).toBe(1);
  });

  it('maxTokenResponseBytes raises (or lowers) the limit', async () => {
    const answer = json(200, { access_token: 'big-token', token_type: 'DPoP', padding: 'a'.repeat(70_000) });
    const { tokens } = await client(answer, { maxTokenResponseBytes: 100_000 });
    expect(await tokens.getAccessToken()).toBe('big-token');
    const small = await client(json(200, { access_token: 'small', token_type: 'DPoP' }), { maxTokenResponseBytes: 10 });
    expect(await failure(small.tokens.getAccessToken())).toMatchObject({ code: 'token_response_too_large' });
  });
});
