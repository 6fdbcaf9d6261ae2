import { Controller, Get, Post, type INestApplication } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dpop, DpopBound, DpopContext, DpopEvents, type DpopEvent } from '../../lib/index.js';
import { GRAPHQL_DRIVERS, gql, startGraphql, type GraphqlDriverName } from '../helpers/graphql-app.js';
import { ADAPTERS, start, useGuardFixture } from '../helpers/guard-app.js';

// @DpopBound({ scopes }): every listed scope must be granted by the token (`scope`, a space-separated string, or
// `scp`, an array or a string), else 403 insufficient_scope with the required scopes in the challenge
// (RFC 6750 §3.1), on REST and per GraphQL field. Decided after the token and the proof are verified.
const fixture = useGuardFixture();
const INSUFFICIENT = (scope: string) =>
  new RegExp(`^DPoP error="insufficient_scope", error_description="[^"]+", scope="${scope}", algs="[A-Za-z0-9 ]+"$`);

@Controller('orders')
@DpopBound({ scopes: ['orders:read'] })
class OrdersController {
  @Get()
  list(@Dpop() dpop: DpopContext) {
    return { scope: dpop.token.scope ?? null, scp: dpop.token.scp ?? null };
  }

  @Post('refund')
  @DpopBound({ scopes: ['orders:read', 'orders:write'] }) // the handler's options win
  refund() {
    return { refunded: true };
  }

  @Get('feed')
  @DpopBound({ allowBearer: true, scopes: ['orders:read'] })
  feed(@Dpop('scheme') scheme: string) {
    return { scheme };
  }

  @Get('nonce')
  @DpopBound({ requireNonce: true, scopes: ['orders:read'] })
  nonce() {
    return { nonce: true };
  }
}

describe.each(ADAPTERS)('@DpopBound({ scopes }) on REST (%s)', (adapter) => {
  let app: INestApplication;
  let base: string;
  const events: DpopEvent[] = [];
  beforeAll(async () => {
    ({ app, base } = await start(adapter, fixture.jwtOptions({ allowedHosts: ['127.0.0.1'] }), false, [
      OrdersController,
    ]));
    app.get(DpopEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => app?.close());

  const bound = (claims: Record<string, unknown>) => fixture.mint({ cnf: { jkt: fixture.jkt }, ...claims });
  const call = async (method: string, path: string, token: string) =>
    fetch(`${base}${path}`, { method, headers: await fixture.dpopHeaders(base, method, path, token) });

  it('a token with the scope (among others) passes; the handler reads every scope of the token', async () => {
    const res = await call('GET', '/orders', await bound({ scope: 'profile orders:read orders:export' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ scope: 'profile orders:read orders:export', scp: null });
  });

  it('scp grants too: an array (Okta) or a space-separated string (Microsoft Entra)', async () => {
    for (const scp of [['orders:read'], 'User.Read orders:read']) {
      const res = await call('GET', '/orders', await bound({ scp }));
      expect(res.status, JSON.stringify(scp)).toBe(200);
      expect(await res.json()).toEqual({ scope: null, scp });
    }
  });

  it('a token without the scope: 403 insufficient_scope, the required scope in the DPoP challenge', async () => {
    for (const claims of [
      { scope: 'profile' },
      { scope: 'orders:readonly xorders:read orders' }, // names compare whole
      {},
      { scope: ['orders:read'] }, // `scope` is a string (RFC 9068, RFC 7662): an array grants nothing
      { scp: [42, { name: 'orders:read' }] },
    ]) {
      const res = await call('GET', '/orders', await bound(claims));
      expect(res.status, JSON.stringify(claims)).toBe(403);
      expect(res.headers.get('www-authenticate')).toMatch(INSUFFICIENT('orders:read'));
      expect(await res.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'The access token does not grant the scope this resource requires',
      });
    }
  });

  it('every listed scope is required; the challenge names all of them', async () => {
    const readOnly = await call('POST', '/orders/refund', await bound({ scope: 'orders:read' }));
    expect(readOnly.status).toBe(403);
    expect(readOnly.headers.get('www-authenticate')).toMatch(INSUFFICIENT('orders:read orders:write'));
    const writeOnly = await call('POST', '/orders/refund', await bound({ scp: ['orders:write'] }));
    expect(writeOnly.status).toBe(403);
    const both = await call('POST', '/orders/refund', await bound({ scope: 'orders:write orders:read' }));
    expect(both.status).toBe(201);
  });

  it('with allowBearer, a Bearer token without the scope gets the error on the Bearer challenge', async () => {
    const unbound = await fixture.mint({ scope: 'profile' });
    const res = await fetch(`${base}/orders/feed`, { headers: { authorization: `Bearer ${unbound}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(
      /^DPoP algs="[A-Za-z0-9 ]+", Bearer error="insufficient_scope", error_description="[^"]+", scope="orders:read"$/,
    );
    const granted = await fixture.mint({ scope: 'orders:read' });
    const ok = await fetch(`${base}/orders/feed`, { headers: { authorization: `Bearer ${granted}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ scheme: 'Bearer' });
    const dpop = await call('GET', '/orders/feed', await bound({ scope: 'profile' }));
    expect(dpop.status).toBe(403);
    expect(dpop.headers.get('www-authenticate')).toMatch(
      /^DPoP error="insufficient_scope", error_description="[^"]+", scope="orders:read", algs="[A-Za-z0-9 ]+", Bearer$/,
    );
  });

  it('authentication first: a bad token, a bad proof or a missing nonce is a 401, whatever the scopes', async () => {
    const forged = await bound({ scope: 'profile' });
    const badToken = await call('GET', '/orders', `${forged.slice(0, -4)}AAAA`);
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const token = await bound({ scope: 'profile' });
    const wrongUrl = await fetch(`${base}/orders`, {
      headers: await fixture.dpopHeaders(base, 'GET', '/elsewhere', token),
    });
    expect(wrongUrl.status).toBe(401);
    expect(wrongUrl.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
    const noNonce = await call('GET', '/orders/nonce', token);
    expect(noNonce.status).toBe(401);
    expect(noNonce.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/);
    const nonce = noNonce.headers.get('dpop-nonce')!;
    const withNonce = await fetch(`${base}/orders/nonce`, {
      headers: await fixture.dpopHeaders(base, 'GET', '/orders/nonce', token, nonce),
    });
    expect(withNonce.status).toBe(403);
  });

  it('each refusal is counted with its reason, never the token', async () => {
    events.length = 0;
    const token = await bound({ scope: 'profile' });
    expect((await call('GET', '/orders', token)).status).toBe(403);
    expect(events.filter((event) => event.type === 'request.refused')).toEqual([
      { type: 'request.refused', reason: 'insufficient_scope', code: 'insufficient_scope' },
    ]);
    expect(JSON.stringify(events)).not.toContain(token.slice(0, 20));
  });
});

@Resolver()
class ShopResolver {
  @Query(() => String, { nullable: true })
  @DpopBound({ scopes: ['orders:read'] })
  orders(@Dpop() dpop: DpopContext): string {
    return String(dpop.token.scope);
  }

  @Query(() => String, { nullable: true })
  @DpopBound({ scopes: ['orders:write'] })
  refund(): string {
    return 'refunded';
  }

  @Query(() => String, { nullable: true })
  @DpopBound()
  me(@Dpop('jkt') jkt: string): string {
    return jkt;
  }
}

const startShop = (driver: GraphqlDriverName) =>
  startGraphql(driver, fixture.jwtOptions(), { providers: [ShopResolver] });

describe.each(GRAPHQL_DRIVERS)('@DpopBound({ scopes }) per GraphQL field on $driver ($adapter)', ({ driver }) => {
  let server: Awaited<ReturnType<typeof startShop>>;
  const events: DpopEvent[] = [];
  beforeAll(async () => {
    server = await startShop(driver);
    server.app.get(DpopEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => server?.app.close());
  const refusals = () => events.filter((event) => event.type === 'request.refused');

  it('each field is decided by its own scopes, whatever the order of fields; one proof per request', async () => {
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt }, scope: 'orders:read' });
    for (const query of ['{ orders refund me }', '{ refund me orders }', '{ a: refund orders b: refund me }']) {
      events.length = 0;
      const before = server.store.keys.length;
      const res = await gql(server.base, { query }, await fixture.dpopHeaders(server.base, 'POST', '/graphql', token));
      expect(res.body.data, query).toMatchObject({ orders: 'orders:read', me: fixture.jkt });
      const refused = (res.body.errors ?? []).map((error) => error.path?.join('.')).sort();
      expect(refused, query).toEqual(query.includes('a:') ? ['a', 'b'] : ['refund']);
      for (const error of res.body.errors!) {
        expect(error.extensions, query).toMatchObject({
          code: 'FORBIDDEN',
          error: 'insufficient_scope',
          error_description: 'The access token does not grant the scope this resource requires',
        });
      }
      expect(res.headers.get('www-authenticate'), query).toMatch(INSUFFICIENT('orders:write'));
      expect(server.store.keys.length - before, query).toBe(1);
      // counted once per refused field
      expect(refusals(), query).toEqual(
        refused.map(() => ({ type: 'request.refused', reason: 'insufficient_scope', code: 'insufficient_scope' })),
      );
    }
  });

  it('a token with every scope reaches every field', async () => {
    const token = await fixture.mint({ cnf: { jkt: fixture.jkt }, scp: ['orders:write', 'orders:read'] });
    const res = await gql(
      server.base,
      { query: '{ refund orders me }' },
      await fixture.dpopHeaders(server.base, 'POST', '/graphql', token),
    );
    expect(res.body).toEqual({ data: { refund: 'refunded', orders: 'undefined', me: fixture.jkt } });
  });

  it('credentials refused for the request are counted once, not once per field', async () => {
    events.length = 0;
    const res = await gql(server.base, { query: '{ orders refund me }' });
    expect(res.body.errors).toHaveLength(3);
    expect(refusals()).toEqual([{ type: 'request.refused', reason: 'credentials_missing', code: 'unauthorized' }]);
  });
});
