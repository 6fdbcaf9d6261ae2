import * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryLogger, useGuardFixture } from '../helpers/guard-app.js';
import { GRAPHQL_DRIVERS, gql, startGraphql, type GraphqlApp } from '../helpers/graphql-app.js';

// GraphQL beyond one plain query: the nonce dance with a real client (oauth4webapi), @DpopBound() on a resolver
// class, Apollo's status setting, and WebSocket operations (subscriptions), which are refused.
const fixture = useGuardFixture();
let server: GraphqlApp | undefined;
afterEach(async () => {
  await server?.app.close();
  server = undefined;
});

/** Every message of a graphql-transport-ws exchange until the server completes or errors operation 1. */
async function overWebSocket(base: string, query: string): Promise<Record<string, unknown>[]> {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Record<string, unknown>[] = [];
  try {
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        messages.push(message);
        if (message.type === 'connection_ack') {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        } else if (message.type === 'complete' || message.type === 'error') resolve();
      });
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await done;
    return messages;
  } finally {
    socket.close();
  }
}

describe.each(GRAPHQL_DRIVERS)('GraphQL on $driver: nonces, resolver classes, WebSocket', ({ driver }) => {
  it('the nonce dance: oauth4webapi gets use_dpop_nonce, takes DPoP-Nonce and succeeds on retry', async () => {
    server = await startGraphql(driver, fixture.jwtOptions({ nonce: { required: true } }));
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const handle = oauth.DPoP({}, fixture.client);
    const call = () =>
      oauth.protectedResourceRequest(
        token,
        'POST',
        new URL(`${server!.base}/graphql`),
        new Headers({ 'content-type': 'application/json' }),
        JSON.stringify({ query: '{ me { sub jkt } }' }),
        { DPoP: handle, [oauth.allowInsecureRequests]: true },
      );
    // Apollo answers 200 (Nest resets execution errors to 200): the refusal is in the body and the headers.
    let first: Response | undefined;
    let nonceError = false;
    try {
      first = await call();
    } catch (error) {
      nonceError = oauth.isDPoPNonceError(error);
      if (!nonceError) throw error;
    }
    if (first) {
      expect(first.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
      const body = (await first.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(body.errors[0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', error: 'use_dpop_nonce' });
    } else {
      expect(nonceError).toBe(true); // Mercurius: 401 + challenge, which oauth4webapi recognises
    }
    const second = await call();
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ data: { me: { sub: 'alice', jkt: fixture.jkt } } });
    // The request's proof is verified once for all its fields, whatever each field demands, so the first proof
    // (no nonce) was recorded before the fields asked for a nonce: two records, one per HTTP request.
    expect(server.store.keys).toHaveLength(2);
  });

  it('@DpopBound() on a resolver class guards its fields; @SkipDpop() opens one', async () => {
    server = await startGraphql(driver, fixture.jwtOptions());
    const open = await gql(server.base, { query: '{ version }' });
    expect(open.body).toEqual({ data: { version: 'v1' } });
    const refused = await gql(server.base, { query: '{ profile }' });
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const ok = await gql(
      server.base,
      { query: '{ profile }' },
      await fixture.dpopHeaders(server.base, 'POST', '/graphql', token),
    );
    expect(ok.body).toEqual({ data: { profile: `profile of ${fixture.jkt}` } });
  });

  it('claims naming a member twice are refused (UNAUTHENTICATED, invalid_dpop_proof) and consume nothing', async () => {
    server = await startGraphql(driver, fixture.jwtOptions());
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const htu = `${server.base}/graphql`;
    const claims = '{"jti":"{jti}","htm":"POST","htu":"{htu}","iat":{iat},"ath":"{ath}"';
    const twice = await fixture.rawProof(htu, token, `${claims},"jti":"other"}`, 'gql-twice');
    const refused = await gql(server.base, { query: '{ profile }' }, { authorization: `DPoP ${token}`, dpop: twice });
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', error: 'invalid_dpop_proof' });
    expect(server.store.keys).toHaveLength(0);
    const once = await fixture.rawProof(htu, token, `${claims}}`, 'gql-twice');
    const ok = await gql(server.base, { query: '{ profile }' }, { authorization: `DPoP ${token}`, dpop: once });
    expect(ok.body).toEqual({ data: { profile: `profile of ${fixture.jkt}` } });
    expect(server.store.keys).toHaveLength(1);
  });

  it("@DpopBound() on a @ResolveField() with fieldResolverEnhancers: ['guards']", async () => {
    server = await startGraphql(driver, fixture.jwtOptions(), { fieldGuards: true });
    const refused = await gql(server.base, { query: '{ note { text owner } }' });
    expect(refused.body.data).toEqual({ note: { text: 'public', owner: null } });
    expect(refused.body.errors![0]).toMatchObject({ path: ['note', 'owner'], extensions: { code: 'UNAUTHENTICATED' } });
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const headers = await fixture.dpopHeaders(server.base, 'POST', '/graphql', token);
    const ok = await gql(server.base, { query: '{ note { owner } }' }, headers);
    expect(ok.body).toEqual({ data: { note: { owner: `owner ${fixture.jkt}` } } });
  });

  it('a guarded subscription, and a guarded query sent over the WebSocket, are refused; one log line', async () => {
    const logger = new MemoryLogger();
    server = await startGraphql(driver, fixture.jwtOptions(), { subscriptions: true, logger });
    const subscription = await overWebSocket(server.base, 'subscription { ticks }');
    expect(JSON.stringify(subscription)).not.toContain('"tick"');
    expect(JSON.stringify(subscription)).toContain('DPoP binds HTTP requests; this call is not one');
    const query = await overWebSocket(server.base, '{ me { sub } }');
    expect(JSON.stringify(query)).not.toContain('alice');
    // Apollo's graphql-ws runs queries over the socket too (our guard refuses them); Mercurius refuses them itself.
    expect(JSON.stringify(query)).toMatch(
      driver === 'mercurius' ? /Invalid operation: query/ : /DPoP binds HTTP requests; this call is not one/,
    );
    const lines = logger.lines.filter((l) => l.level === 'error' && /ApiResolver\.ticks/.test(l.message));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toMatch(/GraphQL subscription/);
  });
});

describe('Apollo with preserveHttpStatusForExecutionErrors: false', () => {
  it('answers with the refusal status (401, 400) from extensions.http', async () => {
    server = await startGraphql('apollo', fixture.jwtOptions(), {
      apollo: { preserveHttpStatusForExecutionErrors: false },
    });
    const none = await gql(server.base, { query: '{ hello me { sub } }' });
    expect(none.status).toBe(401);
    expect(none.body.data).toEqual({ hello: 'world', me: null });
    expect(none.body.errors![0]!.extensions).not.toHaveProperty('http');
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    const malformed = await gql(server.base, { query: '{ secret }' }, { authorization: `DPoP ${token}` });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_request"/);
  });
});
