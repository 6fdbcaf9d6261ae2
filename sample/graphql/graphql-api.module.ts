import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MeResolver } from './me.resolver.js';

/**
 * The sample's GraphQL API on Apollo (the sample runs on Express): `POST /graphql`,
 * `GET /graphql` for queries (Apollo's CSRF prevention wants `Content-Type:
 * application/json` or an `apollo-require-preflight` header). The schema is built in
 * memory from the resolver (code first). `me` answers like `GET /api/me`.
 */
@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      path: '/graphql',
      autoSchemaFile: true,
      playground: false,
      // Apollo adds each error's server stack trace to the body unless NODE_ENV is production: not here.
      includeStacktraceInErrorResponses: false,
    }),
  ],
  providers: [MeResolver],
})
export class GraphqlApiModule {}
