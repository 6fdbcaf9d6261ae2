import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type INestApplication, type LoggerService, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Args,
  Field,
  GraphQLModule,
  Mutation,
  ObjectType,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import {
  Dpop,
  DpopBound,
  DpopContext,
  DpopModule,
  MemoryDpopStore,
  SkipDpop,
  type DpopModuleOptions,
} from '../../lib/index.js';

export type GraphqlDriverName = 'apollo' | 'mercurius';
export const GRAPHQL_DRIVERS = [
  { driver: 'apollo', adapter: 'express' },
  { driver: 'mercurius', adapter: 'fastify' },
] as const;

@ObjectType()
export class Me {
  @Field(() => String) sub!: string;
  @Field(() => String) scheme!: string;
  @Field(() => String, { nullable: true }) jkt?: string;
  @Field(() => String, { nullable: true }) htm?: string;
}

@ObjectType()
export class Note {
  @Field(() => String) text!: string;
  @Field(() => String) jkt!: string;
  @Field(() => String, { nullable: true }) owner?: string;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A schema with guarded queries (nullable `me`, non-null `secret`), a guarded mutation, a public field. */
@Resolver()
export class ApiResolver {
  @Query(() => String)
  hello(): string {
    return 'world';
  }

  @Query(() => Me, { nullable: true })
  @DpopBound()
  async me(@Dpop() dpop: DpopContext): Promise<Me> {
    await tick(); // resolves asynchronously, so fields of one query overlap
    return { sub: String(dpop.token.sub), scheme: dpop.scheme, jkt: dpop.jkt, htm: dpop.proof?.htm };
  }

  @Query(() => String)
  @DpopBound()
  async secret(@Dpop('jkt') jkt: string): Promise<string> {
    await tick();
    return `secret of ${jkt}`;
  }

  @Query(() => String, { nullable: true })
  @DpopBound({ allowBearer: true })
  mixed(@Dpop() dpop: DpopContext): string {
    return dpop.scheme;
  }

  @Query(() => String, { nullable: true })
  @DpopBound({ requireNonce: true })
  nonced(@Dpop('jkt') jkt: string): string {
    return jkt;
  }

  @Mutation(() => Note)
  @DpopBound()
  addNote(@Args('text', { type: () => String }) text: string, @Dpop('jkt') jkt: string): Note {
    return { text: text.slice(0, 20), jkt };
  }

  @Subscription(() => String)
  @DpopBound()
  ticks(): AsyncIterator<{ ticks: string }> {
    let sent = false;
    return {
      next: async () => {
        if (sent) return { done: true, value: undefined };
        sent = true;
        return { done: false, value: { ticks: 'tick' } };
      },
    };
  }
}

/** `@DpopBound()` on the resolver class: every field guarded but the one with `@SkipDpop()`. */
@Resolver()
@DpopBound()
export class ProfileResolver {
  @Query(() => String)
  profile(@Dpop('jkt') jkt: string): string {
    return `profile of ${jkt}`;
  }

  @Query(() => String)
  @SkipDpop()
  version(@Dpop() dpop: DpopContext | undefined): string {
    return dpop === undefined ? 'v1' : 'unexpected';
  }
}

/** A public query whose object has a guarded field resolver (`owner`). */
@Resolver(() => Note)
export class NoteResolver {
  @Query(() => Note)
  note(): Note {
    return { text: 'public', jkt: '' };
  }

  @ResolveField(() => String, { nullable: true })
  @DpopBound()
  owner(@Dpop('jkt') jkt: string | undefined): string {
    return `owner ${jkt ?? 'nobody'}`;
  }
}

/** A store that counts the proofs it is asked to remember. */
export class CountingStore extends MemoryDpopStore {
  readonly keys: string[] = [];
  override rememberProof(key: string, expiresAt: number): Promise<boolean> {
    this.keys.push(key);
    return super.rememberProof(key, expiresAt);
  }
}

export interface GraphqlApp {
  app: INestApplication;
  base: string;
  store: CountingStore;
}

/** Apollo on Express or Mercurius on Fastify, with DpopModule and the resolver above, on a free port. */
export async function startGraphql(
  driver: GraphqlDriverName,
  options: DpopModuleOptions,
  extra: {
    apollo?: Partial<ApolloDriverConfig>;
    subscriptions?: boolean;
    logger?: LoggerService;
    fieldGuards?: boolean;
    /** The app's resolvers and providers, instead of this file's resolvers. */
    providers?: Provider[];
  } = {},
): Promise<GraphqlApp> {
  const store = new CountingStore();
  const graphql =
    driver === 'apollo'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          path: '/graphql',
          playground: false,
          allowBatchedHttpRequests: true,
          ...(extra.fieldGuards ? { fieldResolverEnhancers: ['guards'] as const } : {}),
          ...(extra.subscriptions ? { subscriptions: { 'graphql-ws': true } } : {}),
          ...extra.apollo,
        })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          path: '/graphql',
          graphiql: false,
          allowBatchedQueries: true,
          ...(extra.fieldGuards ? { fieldResolverEnhancers: ['guards'] as const } : {}),
          subscription: extra.subscriptions === true,
        });
  @Module({
    imports: [DpopModule.forRoot({ isGlobal: true, store, ...options }), graphql],
    providers: extra.providers ?? [ApiResolver, ProfileResolver, NoteResolver],
  })
  class GraphqlAppModule {}
  const app = await NestFactory.create(
    GraphqlAppModule,
    driver === 'apollo' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: extra.logger ?? ['error'], abortOnError: false },
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}`, store };
}

/** A GraphQL response as received. */
export interface GraphqlResponse {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs `query` (or a batch) as JSON with `headers`; GET when `method` is GET. */
export async function gql(
  base: string,
  payload: { query: string; variables?: Record<string, unknown> } | { query: string }[],
  headers: Record<string, string> = {},
  method: 'POST' | 'GET' = 'POST',
): Promise<GraphqlResponse> {
  let response: Response;
  if (method === 'GET') {
    const query = new URLSearchParams({ query: (payload as { query: string }).query });
    response = await fetch(`${base}/graphql?${query}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true', ...headers },
    });
  } else {
    response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
  }
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: JSON.parse(text) as GraphqlResponse['body'],
  };
}
