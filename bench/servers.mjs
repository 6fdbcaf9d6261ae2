// The servers of the HTTP benchmark, one per process:  node bench/servers.mjs <kind> <port>
// Plain JavaScript on the built package (dist/), decorators applied by hand.
// The access-token issuer's public key comes in BENCH_AS_JWK.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Dpop, DpopBound, DpopModule, MemoryDpopStore } from '../dist/esm/index.js';
import { RedisDpopStore } from '../dist/esm/storage/redis/index.js';
import { TypeOrmDpopStore } from '../dist/esm/storage/typeorm/index.js';

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

async function nest(adapter, store, maxProofAge = 300, guard = Boolean(store), yieldToEventLoop = true) {
  const imports = store
    ? [
        DpopModule.forRoot({
          isGlobal: true,
          store,
          maxProofAge,
          yieldToEventLoop,
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
async function graphql(driver, store, guard = Boolean(store), yieldToEventLoop = true) {
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
        yieldToEventLoop,
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

const postgres = () =>
  TypeOrmDpopStore.open(
    { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', database: 'test', poolSize: 10 },
    { pruneIntervalSeconds: 30 },
  );
const mariadb = () =>
  TypeOrmDpopStore.open(
    { type: 'mariadb', host: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'test', poolSize: 10 },
    { pruneIntervalSeconds: 30 },
  );
// REDIS_URL: the shared Redis; keys expire on their own (maxProofAge + 1 s).
const redis = (client) =>
  RedisDpopStore.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    client,
    keyPrefix: process.env.BENCH_REDIS_PREFIX ?? `dpop-bench:${process.pid}:`,
  });

/** The soak server's store (bench/memory.mjs asks for its size and prunes it). */
let soakStore;

const kinds = {
  'express-ceiling': plainExpress,
  'nest-express-ceiling': () => nest('express'),
  'nest-fastify-ceiling': () => nest('fastify'),
  peer,
  'nest-express-memory': () => nest('express', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'nest-fastify-memory': () => nest('fastify', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  // The same with the option yieldToEventLoop: false (the handler runs at once after a synchronous check).
  'nest-express-memory-noyield': () =>
    nest('express', new MemoryDpopStore({ maxEntries: 2_000_000 }), 300, true, false),
  'nest-fastify-memory-noyield': () =>
    nest('fastify', new MemoryDpopStore({ maxEntries: 2_000_000 }), 300, true, false),
  'nest-express-sqlite': async () => nest('express', await sqlite()),
  // The memory soak (bench/memory.mjs): fresh proofs, 10 s acceptance window, a store sized for the live records.
  'nest-fastify-memory-soak': () => nest('fastify', (soakStore = new MemoryDpopStore({ maxEntries: 150_000 })), 10),
  'nest-fastify-sqlite': async () => nest('fastify', await sqlite()),
  'nest-express-postgres': async () => nest('express', await postgres()),
  'nest-fastify-postgres': async () => nest('fastify', await postgres()),
  'nest-express-mariadb': async () => nest('express', await mariadb()),
  'nest-fastify-mariadb': async () => nest('fastify', await mariadb()),
  'nest-express-redis': async () => nest('express', await redis('redis')),
  'nest-fastify-redis': async () => nest('fastify', await redis('redis')),
  'nest-express-ioredis': async () => nest('express', await redis('ioredis')),
  'nest-fastify-ioredis': async () => nest('fastify', await redis('ioredis')),
  'apollo-ceiling': () => graphql('apollo'),
  'apollo-memory': () => graphql('apollo', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'apollo-memory-noyield': () => graphql('apollo', new MemoryDpopStore({ maxEntries: 2_000_000 }), true, false),
  'mercurius-ceiling': () => graphql('mercurius'),
  'mercurius-memory': () => graphql('mercurius', new MemoryDpopStore({ maxEntries: 2_000_000 })),
  'mercurius-memory-noyield': () => graphql('mercurius', new MemoryDpopStore({ maxEntries: 2_000_000 }), true, false),
  // Only through BENCH_KINDS: the same stacks with an async guard that checks nothing.
  'nest-express-pass': () => nest('express', undefined, 300, PASS),
  'nest-fastify-pass': () => nest('fastify', undefined, 300, PASS),
  'apollo-pass': () => graphql('apollo', undefined, PASS),
  'mercurius-pass': () => graphql('mercurius', undefined, PASS),
};
if (!kinds[kind]) {
  console.error(`unknown server kind ${kind}; one of ${Object.keys(kinds).join(', ')}`);
  process.exit(2);
}
await kinds[kind]();
if (process.env.BENCH_CPU_PROF) {
  // Profile only the measured load: started by the harness after the warm-up, written at SIGTERM.
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  process.on('message', async (message) => {
    if (message !== 'profile-start') return;
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    process.send?.('profiling');
  });
  process.on('SIGTERM', async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${process.env.BENCH_CPU_PROF}/${kind}.cpuprofile`, JSON.stringify(profile));
    process.exit(0);
  });
} else {
  process.on('SIGTERM', () => process.exit(0));
}
if (process.env.BENCH_MEMORY) {
  // bench/memory.mjs: heap after a full GC, and sampled allocation (objects collected since included).
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  process.on('message', async (message) => {
    if (message === 'heap' || message === 'prune-heap') {
      // prune-heap: expired replay records dropped first, so what remains is everything but the store's live set
      const pruned = message === 'prune-heap' ? soakStore.prune() : 0;
      globalThis.gc();
      process.send({ heapUsed: process.memoryUsage().heapUsed, records: soakStore.size, pruned });
    } else if (message === 'alloc-start') {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      process.send({ sampling: true });
    } else if (message === 'alloc-stop') {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      const total = (node) => node.selfSize + node.children.reduce((sum, child) => sum + total(child), 0);
      process.send({ allocated: total(profile.head) });
    }
  });
}
process.send?.('ready');
