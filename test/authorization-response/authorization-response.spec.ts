import { Controller, Get, HttpException, Module, Query, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizationRequestError,
  AuthorizationResponseEndpoint,
  parseResponseType,
  renderAuthorizationResponse,
  resolveResponseMode,
  type AuthorizationResponse,
} from '../../lib/index.js';
import { readPage } from '../helpers/html-form.js';
import { send } from '../helpers/servers.js';

const REDIRECT = 'https://client.example.org/callback';

describe('parseResponseType', () => {
  it.each([
    ['x_post id_token', 'id_token', true],
    ['id_token x_post', 'id_token', true],
    ['x_post token', 'token', true],
    ['x_post code id_token', 'code id_token', true],
    ['id_token x_post code', 'code id_token', true],
    ['x_post id_token token', 'id_token token', true],
    ['token x_post id_token', 'id_token token', true],
    ['code', 'code', false],
    ['token', 'token', false],
    ['id_token token', 'id_token token', false],
    ['token code id_token', 'code id_token token', false],
  ])('%s → %s (post: %s)', (value, name, post) => {
    expect(parseResponseType(value)).toMatchObject({ name, post });
  });

  it.each([
    ['x_post', 'unsupported_response_type'],
    ['x_post code', 'unsupported_response_type'],
    ['x_post code token', 'unsupported_response_type'],
    ['code x_post code', 'invalid_request'],
    ['code  token', 'invalid_request'],
    ['device_code', 'unsupported_response_type'],
    ['', 'invalid_request'],
    [undefined, 'invalid_request'],
  ])('refuses %j with %s', (value, error) => {
    expect(() => parseResponseType(value)).toThrow(AuthorizationRequestError);
    try {
      parseResponseType(value);
    } catch (e) {
      expect((e as AuthorizationRequestError).error).toBe(error);
    }
  });
});

describe('resolveResponseMode', () => {
  it.each([
    ['code', undefined, 'query'],
    ['token', undefined, 'fragment'],
    ['code id_token', undefined, 'fragment'],
    ['x_post id_token', undefined, 'form_post'],
    ['x_post token', 'form_post', 'form_post'],
    ['code', 'form_post', 'form_post'],
    ['code', 'fragment', 'fragment'],
    ['id_token', 'form_post', 'form_post'],
  ])('%s with response_mode %s → %s', (type, mode, expected) => {
    expect(resolveResponseMode(parseResponseType(type), mode)).toBe(expected);
  });

  it.each([
    ['token', 'query'],
    ['x_post id_token', 'fragment'],
    ['x_post token', 'query'],
    ['code', 'web_message'],
  ])('refuses %s with response_mode %s', (type, mode) => {
    expect(() => resolveResponseMode(parseResponseType(type), mode)).toThrow(AuthorizationRequestError);
  });
});

describe('renderAuthorizationResponse', () => {
  it('redirects with the query, keeping the redirect URI’s own query', () => {
    const out = renderAuthorizationResponse({
      redirectUri: `${REDIRECT}?tenant=a`,
      responseMode: 'query',
      params: { code: 'c 1&2', state: 's', iss: undefined },
    });
    expect(out.status).toBe(302);
    const location = new URL(out.headers.Location!);
    expect([...location.searchParams]).toEqual([
      ['tenant', 'a'],
      ['code', 'c 1&2'],
      ['state', 's'],
    ]);
    expect(out.headers['Cache-Control']).toBe('no-store');
  });

  it('redirects with the fragment', () => {
    const out = renderAuthorizationResponse({
      redirectUri: REDIRECT,
      responseMode: 'fragment',
      params: { access_token: 'a+b', state: 'x' },
    });
    const location = new URL(out.headers.Location!);
    expect(location.search).toBe('');
    expect(Object.fromEntries(new URLSearchParams(location.hash.slice(1)))).toEqual({
      access_token: 'a+b',
      state: 'x',
    });
  });

  it('renders the self-submitting form of the POST response types document', () => {
    const out = renderAuthorizationResponse({
      redirectUri: REDIRECT,
      responseMode: 'form_post',
      params: { id_token: 'eyJ.eyJ.sig', state: 'DcP7csa3hMlvybERqcieLHrRzKBra' },
    });
    expect(out.status).toBe(200);
    expect(out.headers).toMatchObject({
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'Content-Type': 'text/html; charset=utf-8',
    });
    const page = readPage(out.body);
    expect(page.forms).toEqual([
      {
        method: 'post',
        action: REDIRECT,
        fields: [
          ['id_token', 'eyJ.eyJ.sig'],
          ['state', 'DcP7csa3hMlvybERqcieLHrRzKBra'],
        ],
      },
    ]);
    expect(out.body).toContain('<noscript><button type="submit">');
    // the CSP allows exactly the one inline script on the page, by its hash
    expect(page.scripts).toHaveLength(1);
    const hash = createHash('sha256').update(page.scripts[0]!).digest('base64');
    expect(out.headers['Content-Security-Policy']).toBe(
      `default-src 'none'; script-src 'sha256-${hash}'; base-uri 'none'; frame-ancestors 'none'; form-action https://client.example.org`,
    );
  });

  it('renders hostile values inert: a browser’s parser reads back exactly the values given, and one script', () => {
    const hostile = {
      state: `"><script>alert(1)</script>`,
      quote: `' onfocus='alert(1)`,
      close: '</form></body><script>alert(2)</script>',
      amp: '&amp;&lt;&#x3C;',
      lt: '<<<>>>',
      unicode: 'ключ 🔑 \u2028\u2029 \u0000 ﷽',
      long: 'x'.repeat(10_240),
    };
    const out = renderAuthorizationResponse({
      redirectUri: `${REDIRECT}?a="b"&c=<d>`,
      responseMode: 'form_post',
      params: hostile,
    });
    const page = readPage(out.body);
    expect(page.scripts).toEqual(['document.forms[0].submit();']);
    expect(page.forms).toHaveLength(1);
    const expected = Object.entries(hostile).map(([k, v]) => [k, v.replaceAll('\u0000', '\uFFFD')]);
    expect(page.forms[0]!.fields).toEqual(expected);
    expect(new URL(page.forms[0]!.action!).searchParams.get('a')).toBe('"b"');
  });

  it.each(['javascript:alert(1)', 'data:text/html,x', 'not a url', 'https://client.example.org/cb#frag'])(
    'refuses the redirect URI %s',
    (redirectUri) => {
      expect(() => renderAuthorizationResponse({ redirectUri, responseMode: 'form_post', params: {} })).toThrow(
        AuthorizationRequestError,
      );
    },
  );
});

@Controller()
class AuthorizeController {
  @Get('authorize')
  @AuthorizationResponseEndpoint()
  authorize(@Query() query: Record<string, string>): AuthorizationResponse {
    if (query.redirect_uri?.startsWith('javascript:')) {
      return { redirectUri: query.redirect_uri, responseMode: 'query', params: { error: 'x' } }; // a handler bug
    }
    if (query.redirect_uri !== REDIRECT) throw new HttpException('unknown redirect_uri', 400);
    try {
      const type = parseResponseType(query.response_type);
      const mode = resolveResponseMode(type, query.response_mode);
      return { redirectUri: REDIRECT, responseMode: mode, params: { code: 'the-code', state: query.state } };
    } catch (error) {
      const err = error as AuthorizationRequestError;
      const post = String(query.response_type).split(' ').includes('x_post');
      return {
        redirectUri: REDIRECT,
        responseMode: post ? 'form_post' : 'query',
        params: { error: err.error, state: query.state },
      };
    }
  }
}

describe.each(['express', 'fastify'] as const)('@AuthorizationResponseEndpoint() on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    @Module({ controllers: [AuthorizeController] })
    class AppModule {}
    app = await NestFactory.create(AppModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
      logger: ['error'],
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());
  const get = (params: Record<string, string>) =>
    send(`${base}/authorize?${new URLSearchParams({ redirect_uri: REDIRECT, ...params })}`);

  it('redirects a code response with the query', async () => {
    const res = await get({ response_type: 'code', state: 's1' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${REDIRECT}?code=the-code&state=s1`);
  });

  it('answers x_post types and form_post with the self-submitting page', async () => {
    const cases: Record<string, string>[] = [
      { response_type: 'x_post code id_token' },
      { response_type: 'code', response_mode: 'form_post' },
    ];
    for (const params of cases) {
      const res = await get({ ...params, state: '<s2>' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
      expect(readPage(res.body).forms[0]!.fields).toEqual([
        ['code', 'the-code'],
        ['state', '<s2>'],
      ]);
    }
  });

  it('sends errors back the same way: form-encoded for x_post, in the query otherwise', async () => {
    const post = await get({ response_type: 'x_post code', state: 's3' });
    expect(post.status).toBe(200);
    expect(readPage(post.body).forms[0]!.fields).toEqual([
      ['error', 'unsupported_response_type'],
      ['state', 's3'],
    ]);
    const query = await get({ response_type: 'token', response_mode: 'query', state: 's4' });
    expect(query.headers.location).toBe(`${REDIRECT}?error=invalid_request&state=s4`);
  });

  it('a redirect URI that cannot receive a response (javascript:) gives a 400, not a 500', async () => {
    const res = await send(`${base}/authorize?response_type=code&redirect_uri=javascript:alert(1)//`);
    expect(res.status).toBe(400);
  });

  it('leaves other errors to Nest (an unknown redirect URI gets a 400, never a redirect)', async () => {
    const res = await send(`${base}/authorize?response_type=code&redirect_uri=https://evil.example/cb`);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
  });
});
