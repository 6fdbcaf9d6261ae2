import { Injectable, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Query, Resolver } from '@nestjs/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dpop, DpopBound, DpopContext, DpopGuard } from '../../lib/index.js';
import { GRAPHQL_DRIVERS, gql, startGraphql, type GraphqlDriverName } from '../helpers/graphql-app.js';
import { useGuardFixture } from '../helpers/guard-app.js';

// Each guarded GraphQL field is decided by its own shouldSkip and its own @DpopBound() options; only the
// request's verified credentials are shared between the fields of one HTTP request (verified, and the proof
// consumed, at most once). The answer for a field is the same whatever order its neighbours come in.
const fixture = useGuardFixture();

/** The README's extension pattern: a subclass registered as APP_GUARD whose shouldSkip lets one field through. */
@Injectable()
class PublicStatusGuard extends DpopGuard {
  protected override shouldSkip(context: ExecutionContext): boolean {
    const info = context.getArgByIndex<{ fieldName?: string } | undefined>(3);
    return info?.fieldName === 'status';
  }
}

@Resolver()
class FieldsResolver {
  /** Guarded, but the global subclass skips it. */
  @Query(() => String)
  @DpopBound()
  status(): string {
    return 'ok';
  }

  @Query(() => String, { nullable: true })
  @DpopBound()
  secret(@Dpop('jkt') jkt: string): string {
    return `secret of ${jkt}`;
  }

  @Query(() => String, { nullable: true })
  @DpopBound({ allowBearer: true })
  mixed(@Dpop() dpop: DpopContext): string {
    return dpop.scheme;
  }
}

const start = (driver: GraphqlDriverName) =>
  startGraphql(driver, fixture.jwtOptions(), {
    providers: [FieldsResolver, { provide: APP_GUARD, useClass: PublicStatusGuard }],
  });

describe.each(GRAPHQL_DRIVERS)('each GraphQL field decides for itself on $driver ($adapter)', ({ driver }) => {
  let server: Awaited<ReturnType<typeof start>>;
  let bound: string;
  let unbound: string;
  beforeAll(async () => {
    server = await start(driver);
    bound = await fixture.mint({ cnf: { jkt: fixture.jkt } });
    unbound = await fixture.mint({});
  });
  afterAll(() => server?.app.close());
  const dpop = () => fixture.dpopHeaders(server.base, 'POST', '/graphql', bound);
  const errorFields = (res: Awaited<ReturnType<typeof gql>>) =>
    (res.body.errors ?? []).map((error) => error.path?.join('.')).sort();

  it('no credentials: a skipped field answers and the guarded one is refused, in either order', async () => {
    for (const query of ['{ status secret }', '{ secret status }']) {
      const res = await gql(server.base, { query });
      expect(res.body.data, query).toEqual({ status: 'ok', secret: null });
      expect(errorFields(res), query).toEqual(['secret']);
      expect(res.body.errors![0]!.extensions, query).toMatchObject({ code: 'UNAUTHENTICATED', error: 'unauthorized' });
      expect(res.headers.get('www-authenticate'), query).toMatch(/^DPoP algs="/);
    }
  });

  it('aliases and fragments of the guarded field are refused too, whatever comes first', async () => {
    const queries = [
      '{ a: status b: secret c: secret }',
      '{ b: secret a: status c: secret }',
      'query { ...F a: status } fragment F on Query { b: secret c: secret }',
    ];
    for (const query of queries) {
      const res = await gql(server.base, { query });
      expect(res.body.data, query).toEqual({ a: 'ok', b: null, c: null });
      expect(errorFields(res), query).toEqual(['b', 'c']);
    }
  });

  it('a batch: the skipped operation answers, the guarded one is refused, in either order', async () => {
    for (const batch of [
      [{ query: '{ status }' }, { query: '{ secret }' }],
      [{ query: '{ secret }' }, { query: '{ status }' }],
    ]) {
      const res = await fetch(`${server.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      const bodies = (await res.json()) as { data: Record<string, unknown> | null }[];
      const byQuery = Object.fromEntries(batch.map((op, i) => [op.query, bodies[i]!.data]));
      expect(byQuery['{ status }']).toEqual({ status: 'ok' });
      expect(byQuery['{ secret }'] ?? { secret: null }).toEqual({ secret: null });
    }
  });

  it('with a valid proof every field answers, one replay record for the request, in either order', async () => {
    for (const query of ['{ status secret mixed }', '{ mixed secret status }']) {
      const before = server.store.keys.length;
      const res = await gql(server.base, { query }, await dpop());
      expect(res.body, query).toEqual({ data: { status: 'ok', secret: `secret of ${fixture.jkt}`, mixed: 'DPoP' } });
      expect(server.store.keys.length - before, query).toBe(1);
    }
  });

  it('a Bearer token: the field that allows Bearer answers, the DPoP-only field is refused, in either order', async () => {
    for (const query of ['{ mixed secret }', '{ secret mixed }', '{ a: secret mixed b: secret }']) {
      const res = await gql(server.base, { query }, { authorization: `Bearer ${unbound}` });
      expect(res.body.data?.mixed, query).toBe('Bearer');
      const refused = errorFields(res);
      expect(refused.length, query).toBeGreaterThan(0);
      expect(
        refused.every((path) => path !== 'mixed'),
        query,
      ).toBe(true);
      for (const error of res.body.errors!) expect(error.extensions, query).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('a Bearer batch: the operation that allows Bearer answers whatever comes first', async () => {
    for (const batch of [
      [{ query: '{ secret }' }, { query: '{ mixed }' }],
      [{ query: '{ mixed }' }, { query: '{ secret }' }],
    ]) {
      const res = await fetch(`${server.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${unbound}` },
        body: JSON.stringify(batch),
      });
      const bodies = (await res.json()) as { data: Record<string, unknown> | null }[];
      const byQuery = Object.fromEntries(batch.map((op, i) => [op.query, bodies[i]!.data]));
      expect(byQuery['{ mixed }']).toEqual({ mixed: 'Bearer' });
      expect(byQuery['{ secret }'] ?? { secret: null }).toEqual({ secret: null });
    }
  });

  it('a refused proof is refused for every guarded field of the request, and consumes nothing', async () => {
    const headers = await fixture.dpopHeaders(server.base, 'POST', '/elsewhere', bound);
    const before = server.store.keys.length;
    for (const query of ['{ status secret mixed }', '{ mixed status secret }']) {
      const res = await gql(server.base, { query }, headers);
      expect(res.body.data, query).toEqual({ status: 'ok', secret: null, mixed: null });
      for (const error of res.body.errors!)
        expect(error.extensions, query).toMatchObject({ error: 'invalid_dpop_proof' });
    }
    expect(server.store.keys.length).toBe(before);
  });
});
