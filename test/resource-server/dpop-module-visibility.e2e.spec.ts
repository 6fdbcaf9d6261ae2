import { Controller, Get, Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { describe, expect, it } from 'vitest';
import {
  DpopBound,
  DpopConfigurationError,
  DpopGuard,
  DpopModule,
  InjectDpopOptions,
  type ResolvedDpopOptions,
} from '../../lib/index.js';
import { send } from '../helpers/servers.js';

// @DpopBound() in a module that cannot see DpopModule (not imported there, not isGlobal): the app fails to
// start with a DpopConfigurationError that names the module and the fix, not Nest's note about a symbol.
const ACCESS_TOKEN = { type: 'custom', verify: () => null } as const;

@Controller('orders')
@DpopBound()
class OrdersController {
  @Get()
  list() {
    return [];
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

/** Creates and starts the app; the error it failed with, or undefined when it started. */
async function startError(root: Type): Promise<unknown> {
  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(root, new ExpressAdapter(), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await app?.close();
  }
}

describe('DpopGuard in a module that cannot see DpopModule', () => {
  it('DpopModule registered in another module without isGlobal: the message names the module and the fix', async () => {
    @Module({ imports: [OrdersModule, DpopModule.forRoot({ accessToken: ACCESS_TOKEN })] })
    class AppModule {}
    const error = await startError(AppModule);
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect((error as Error).message).toBe(
      'DpopGuard (used by @DpopBound() in OrdersModule) cannot see DpopModule: import DpopModule.forRoot(...) in ' +
        'that module or register it with isGlobal: true. DpopModule is registered in another module, but not ' +
        'with isGlobal: true.',
    );
  });

  it('DpopModule registered nowhere', async () => {
    @Module({ imports: [OrdersModule] })
    class AppModule {}
    const error = await startError(AppModule);
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect((error as Error).message).toBe(
      'DpopGuard (used by @DpopBound() in OrdersModule) cannot see DpopModule: import DpopModule.forRoot(...) in ' +
        'that module or register it with isGlobal: true.',
    );
  });

  it('DpopGuard as APP_GUARD in a module without DpopModule', async () => {
    @Module({ providers: [{ provide: APP_GUARD, useClass: DpopGuard }] })
    class GuardsModule {}
    @Module({ imports: [GuardsModule, DpopModule.forRoot({ accessToken: ACCESS_TOKEN })] })
    class AppModule {}
    const error = await startError(AppModule);
    expect(error).toBeInstanceOf(DpopConfigurationError);
    expect((error as Error).message).toMatch(/^DpopGuard \(registered in GuardsModule\) cannot see DpopModule: /);
  });

  it('a DpopGuard subclass with its own constructor: Nest names the options token with the fix', async () => {
    @Injectable()
    class AuditedDpopGuard extends DpopGuard {
      constructor(@InjectDpopOptions() options: ResolvedDpopOptions, reflector: Reflector) {
        super(options, reflector);
      }
    }
    @Module({ providers: [{ provide: APP_GUARD, useClass: AuditedDpopGuard }] })
    class AuditModule {}
    @Module({ imports: [AuditModule, DpopModule.forRoot({ accessToken: ACCESS_TOKEN })] })
    class AppModule {}
    const error = await startError(AppModule);
    expect((error as Error).message).toContain(
      'Symbol(DpopModule options: import DpopModule.forRoot(...) in this module or register it with isGlobal: true)',
    );
    expect((error as Error).message).toContain('AuditModule');
  });

  it('the fixes work: DpopModule imported in that module, or registered with isGlobal: true', async () => {
    for (const root of [
      (() => {
        @Module({ imports: [DpopModule.forRoot({ accessToken: ACCESS_TOKEN })], controllers: [OrdersController] })
        class OrdersWithDpopModule {}
        return OrdersWithDpopModule;
      })(),
      (() => {
        @Module({ imports: [OrdersModule, DpopModule.forRoot({ isGlobal: true, accessToken: ACCESS_TOKEN })] })
        class GlobalAppModule {}
        return GlobalAppModule;
      })(),
    ]) {
      const app = await NestFactory.create(root, new ExpressAdapter(), { logger: false, abortOnError: false });
      try {
        await app.listen(0, '127.0.0.1');
        const res = await send(`${await app.getUrl()}/orders`);
        expect(res.status).toBe(401); // the guard runs: no credentials
      } finally {
        await app.close();
      }
    }
  });
});
