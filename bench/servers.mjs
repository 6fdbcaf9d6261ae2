// The servers of the HTTP benchmark, one per process:  node bench/servers.mjs <kind> <port>
// Plain JavaScript on the built package (dist/), decorators applied by hand.
// The access-token issuer's public key comes in BENCH_AS_JWK.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Dpop, DpopBound, DpopModule, MemoryDpopStore } from '../dist/index.js';
import { TypeOrmDpopStore } from '../dist/storage/typeorm/index.js';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const asJwk = JSON.parse(process.env.BENCH_AS_JWK ?? '{}');
export const ISSUER = 'https://as.bench.local';
export const AUDIENCE = 'https://api.bench.local';

/** An async guard that lets everything through: what Nest's guard plumbing costs without any check (BENCH_KINDS only). */
class PassGuard {
  async canActivate() {
    return true;
  }
}
Injectable()(PassGuard);
const PASS = 'pass';

function controller(bound) {
  class ApiController {
    me(req) {
      return { ok: true, jkt: req.dpop?.jkt ?? null };
    }
  }
  Req()(ApiController.prototype, 'me', 0);
  Get('me')(ApiController.prototype, 'me', Object.getOwnPropertyDescriptor(ApiController.prototype, 'me'));
  Reflect.defineMetadata('design:paramtypes', [Object], ApiController.prototype, 'me');
  if (bound === PASS) UseGuards(PassGuard)(ApiController);
  else if (bound) DpopBound()(ApiController);
  Controller('api')(ApiController);
  return ApiController;
}

async function nest(adapter, store, guard = Boolean(store)) {
  const imports = store
    ? [
        DpopModule.forRoot({
          isGlobal: true,
          store,
          maxProofAge: 300,
          accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, keys: [asJwk], algorithms: ['ES256'] },
        }),
      ]
    : [];
  class AppModule {}
  Module({ imports, controllers: [controller(guard)] })(AppModule);
  const app = await NestFactory.create(AppModule, adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
    logger: ['error'],
    bodyParser: false,
  });
  await app.listen(port, '127.0.0.1');
}

/** The GraphQL `me` query (code first): `{ me { ok jkt } }`, guarded by @DpopBound() when `bound`. */
async function graphqlResolver(bound) {
  const { Field, ObjectType, Query, Resolver } = await import('@nestjs/graphql');
  class MeModel {}
  Field(() => Boolean)(MeModel.prototype, 'ok');
  Field(() => String, { nullable: true })(MeModel.prototype, 'jkt');
  ObjectType('Me')(MeModel);
  class MeResolver {
    me(dpop) {
      return { ok: true, jkt: dpop?.jkt ?? null };
    }
  }
  Dpop()(MeResolver.prototype, 'me', 0);
  Reflect.defineMetadata('design:paramtypes', [Object], MeResolver.prototype, 'me');
  const descriptor = Object.getOwnPropertyDescriptor(MeResolver.prototype, 'me');
  Query(() => MeModel)(MeResolver.prototype, 'me', descriptor);
  if (bound === PASS) UseGuards(PassGuard)(MeResolver.prototype, 'me', descriptor);
  else if (bound) DpopBound()(MeResolver.prototype, 'me', descriptor);
  Resolver()(MeResolver);
  return MeResolver;
}

/** Apollo on Express or Mercurius on Fastify, serving POST /graphql; with the guard when a store is given. */
async function graphql(driver, store, guard = Boolean(store)) {
  const { GraphQLModule } = await import('@nestjs/graphql');
  const config =
    driver === 'apollo'
      ? { driver: (await import('@nestjs/apollo')).ApolloDriver, playground: false }
      : { driver: (await import('@nestjs/mercurius')).MercuriusDriver, graphiql: false };
  const imports = [GraphQLModule.forRoot({ ...config, path: '/graphql', autoSchemaFile: true })];
  if (store) {
    imports.unshift(
      DpopModule.forRoot({
        isGlobal: true,
        store,
        maxProofAge: 300,
        accessToken: { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, keys: [asJwk], algorithms: ['ES256'] },
      }),
    );
  }
  class AppModule {}
  Module({ imports, providers: [await graphqlResolver(guard)] })(AppModule);
  // The body parser stays on: GraphQL reads a JSON body (both rows of a driver pay for it).
  const app = await NestFactory.create(AppModule, driver === 'apollo' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: ['error'],
  });
  await app.listen(port, '127.0.0.1');
}

async function peer() {
  const express = (await import('express')).default;
  const { auth } = await import('express-oauth2-jwt-bearer');
  const app = express();
  app.disable('x-powered-by');
  app.use(
    auth({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: asJwk,
      tokenSigningAlg: 'ES256',
      dpop: { enabled: true, required: true, iatOffset: 300, iatLeeway: 30 },
    }),
  );
  app.get('/api/me', (req, res) => res.json({ ok: true, sub: req.auth?.payload.sub }));
  await new Promise((resolve) => app.listen(port, '127.0.0.1', resolve));
}

async function plainExpress() {
  const express = (await import('express')).default;
  const app = express();
  app.disable('x-powered-by');
  app.get('/api/me', (_req, res) => res.json({ ok: true }));
  await new Promise((resolve) => app.listen(port, '127.0.0.1', resolve));
}

const sqlite = () =>
  TypeOrmDpopStore.open(
    { type: 'better-sqlite3', database: process.env.BENCH_SQLITE_FILE ?? '.data/bench.sqlite', enableWAL: true },
    { pruneIntervalSeconds: 30 },
  );

const kinds = {
  'express-ceiling': plainExpress,
  'nest-express-ceiling': () => nest('express'),
  'nest-fastify-ceiling': () => nest('fastify'),
  peer,
  'nest-express-memory': () => nest('express', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'nest-fastify-memory': () => nest('fastify', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'nest-express-sqlite': async () => nest('express', await sqlite()),
  'nest-fastify-sqlite': async () => nest('fastify', await sqlite()),
  'apollo-ceiling': () => graphql('apollo'),
  'apollo-memory': () => graphql('apollo', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'mercurius-ceiling': () => graphql('mercurius'),
  'mercurius-memory': () => graphql('mercurius', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  // Only through BENCH_KINDS: the same stacks with an async guard that checks nothing.
  'nest-express-pass': () => nest('express', undefined, PASS),
  'nest-fastify-pass': () => nest('fastify', undefined, PASS),
  'apollo-pass': () => graphql('apollo', undefined, PASS),
  'mercurius-pass': () => graphql('mercurius', undefined, PASS),
};
if (!kinds[kind]) {
  console.error(`unknown server kind ${kind}; one of ${Object.keys(kinds).join(', ')}`);
  process.exit(2);
}
await kinds[kind]();
process.on('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
process.send?.('ready');
