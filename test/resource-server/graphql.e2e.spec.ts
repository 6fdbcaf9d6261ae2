import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGuardFixture } from '../helpers/guard-app.js';
import { GRAPHQL_DRIVERS, gql, startGraphql, type GraphqlApp } from '../helpers/graphql-app.js';

// @DpopBound() on GraphQL resolvers: Apollo (@nestjs/apollo) on Express and Mercurius (@nestjs/mercurius) on
// Fastify. The proof binds the HTTP request (POST or GET /graphql); one check per request.
const fixture = useGuardFixture();
const ALGS = /^DPoP algs="ES256[^"]*"$/;

describe.each(GRAPHQL_DRIVERS)('GraphQL on $driver ($adapter)', ({ driver }) => {
  let server: GraphqlApp;
  let token: string;
  beforeAll(async () => {
    server = await startGraphql(driver, fixture.jwtOptions());
    token = await fixture.mint({ cnf: { jkt: fixture.jkt }, client_id: 'app' });
  });
  afterAll(() => server?.app.close());
  const post = (path = '/graphql') => fixture.dpopHeaders(server.base, 'POST', path, token);

  it('a public field answers without credentials, with no challenge', async () => {
    const res = await gql(server.base, { query: '{ hello }' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { hello: 'world' } });
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('no token: the guarded field is refused with the challenge, the public one still answers', async () => {
    const res = await gql(server.base, { query: '{ hello me { sub } }' });
    expect(res.status).toBe(200); // partial data: both drivers answer 200
    expect(res.headers.get('www-authenticate')).toMatch(ALGS);
    expect(res.body.data).toEqual({ hello: 'world', me: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({
      message: 'DPoP-bound access token required',
      path: ['me'],
      extensions: { code: 'UNAUTHENTICATED', error: 'unauthorized' },
    });
    expect(res.body.errors![0]!.extensions).not.toHaveProperty('http');
  });

  it('a valid proof: @Dpop() gives the resolver the DpopContext of the HTTP request', async () => {
    const headers = await post();
    const res = await gql(server.base, { query: '{ me { sub scheme jkt htm } hello }' }, headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { me: { sub: 'alice', scheme: 'DPoP', jkt: fixture.jkt, htm: 'POST' }, hello: 'world' },
    });
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('two guarded fields in one query: one check, one replay record, the same context', async () => {
    const before = server.store.keys.length;
    const res = await gql(server.base, { query: '{ me { jkt } secret again: secret }' }, await post());
    expect(res.body).toEqual({
      data: { me: { jkt: fixture.jkt }, secret: `secret of ${fixture.jkt}`, again: `secret of ${fixture.jkt}` },
    });
    expect(server.store.keys.length - before).toBe(1);
  });

  it('a replayed proof is refused on the second HTTP request', async () => {
    const headers = await post();
    expect((await gql(server.base, { query: '{ me { sub } }' }, headers)).body.data).toEqual({ me: { sub: 'alice' } });
    const res = await gql(server.base, { query: '{ me { sub } }' }, headers);
    expect(res.body.data).toEqual({ me: null });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', error: 'invalid_dpop_proof' });
    expect(res.headers.get('www-authenticate')).toMatch(
      /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs=/,
    );
  });

  it('a bound token sent as Bearer is refused (invalid_token), nothing echoed', async () => {
    const headers: Record<string, string> = { ...(await post()), authorization: `Bearer ${token}` };
    const res = await gql(server.base, { query: '{ me { sub } }' }, headers);
    expect(res.body.data).toEqual({ me: null });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', error: 'invalid_token' });
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
    expect(res.text).not.toContain(token.slice(0, 40));
    expect(res.text).not.toContain(headers.dpop!.slice(0, 40));
  });

  it('a proof for another path (htu /api/me) is refused', async () => {
    const res = await gql(server.base, { query: '{ me { sub } }' }, await post('/api/me'));
    expect(res.body.errors![0]!.extensions).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
  });

  it('two DPoP headers: BAD_REQUEST / invalid_request, status 400 where the driver sets it', async () => {
    const headers = await post();
    const res = await fetch(`${server.base}/graphql`, {
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['authorization', headers.authorization!],
        ['dpop', headers.dpop!],
        ['dpop', headers.dpop!],
      ],
      body: JSON.stringify({ query: '{ secret }' }),
    });
    const body = (await res.json()) as { data: unknown; errors: { extensions: Record<string, unknown> }[] };
    expect(body.data).toBeNull();
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_request' });
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_request"/);
    expect(res.status).toBe(driver === 'mercurius' ? 400 : 200);
  });

  it('no data at all (a non-null guarded field): Mercurius answers 401, Apollo (Nest default) 200', async () => {
    const res = await gql(server.base, { query: '{ secret }' });
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.status).toBe(driver === 'mercurius' ? 401 : 200);
    expect(res.headers.get('www-authenticate')).toMatch(ALGS);
  });

  it('a mutation: accepted with a proof, refused without', async () => {
    const query = 'mutation { addNote(text: "hi") { text jkt } }';
    const ok = await gql(server.base, { query }, await post());
    expect(ok.body).toEqual({ data: { addNote: { text: 'hi', jkt: fixture.jkt } } });
    const refused = await gql(server.base, { query }, { authorization: `DPoP ${token}` });
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_request' });
  });

  it('a GET query: the proof names GET and the URL without the query string', async () => {
    const headers = await fixture.dpopHeaders(server.base, 'GET', '/graphql', token);
    const res = await gql(server.base, { query: '{ me { htm } }' }, headers, 'GET');
    expect(res.body).toEqual({ data: { me: { htm: 'GET' } } });
    const wrong = await gql(server.base, { query: '{ me { htm } }' }, await post(), 'GET');
    expect(wrong.body.errors![0]!.extensions).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('a batch of two operations in one HTTP request: one proof, one replay record', async () => {
    const before = server.store.keys.length;
    const res = await fetch(`${server.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await post()) },
      body: JSON.stringify([{ query: '{ me { jkt } }' }, { query: '{ secret }' }]),
    });
    expect(await res.json()).toEqual([
      { data: { me: { jkt: fixture.jkt } } },
      { data: { secret: `secret of ${fixture.jkt}` } },
    ]);
    expect(server.store.keys.length - before).toBe(1);
  });

  it('a field that allows Bearer does not open a stricter field of the same request', async () => {
    const unbound = await fixture.mint({});
    const res = await gql(server.base, { query: '{ mixed me { sub } }' }, { authorization: `Bearer ${unbound}` });
    expect(res.body.data).toEqual({ mixed: 'Bearer', me: null });
    expect(res.body.errors![0]).toMatchObject({ path: ['me'], extensions: { error: 'invalid_token' } });
  });

  it('a field that demands a nonce is held to it after a laxer field accepted the proof', async () => {
    const res = await gql(server.base, { query: '{ me { sub } nonced }' }, await post());
    expect(res.body.data).toEqual({ me: { sub: 'alice' }, nonced: null });
    expect(res.body.errors![0]).toMatchObject({ path: ['nonced'], extensions: { error: 'use_dpop_nonce' } });
    expect(res.headers.get('dpop-nonce')).toMatch(/^[0-9a-z]+\.[\w-]+$/);
  });
});
