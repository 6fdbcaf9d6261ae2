import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiSecurity, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import { addDpopSecurityScheme, Dpop, DpopBound, DpopModule, SkipDpop } from '../../lib/index.js';

@Controller('orders')
@DpopBound()
class OrdersController {
  @Get()
  list(@Dpop('jkt') jkt: string) {
    return { jkt };
  }

  @Get('feed')
  @DpopBound({ allowBearer: true })
  feed() {
    return [];
  }

  @Get('refunds')
  @DpopBound({ scopes: ['orders:read', 'orders:refund'] })
  refunds() {
    return [];
  }

  @Get('export')
  @DpopBound({ allowBearer: true, scopes: ['orders:export'] })
  export() {
    return [];
  }

  @Get('admin')
  @ApiSecurity('mtls')
  admin() {
    return {};
  }

  @Get('public')
  @SkipDpop()
  public() {
    return {};
  }
}

@Controller('health')
class OpenController {
  @Get()
  @SkipDpop()
  health() {
    return { ok: true };
  }
}

type Operation = { security?: Record<string, string[]>[] };

async function document(global = false) {
  @Module({
    imports: [DpopModule.forRoot({ accessToken: { type: 'custom', verify: () => null }, allowedHosts: ['localhost'] })],
    controllers: [OrdersController, OpenController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.init();
  try {
    const config = addDpopSecurityScheme(new DocumentBuilder().setTitle('Orders').addBearerAuth(), { global }).build();
    return SwaggerModule.createDocument(app, config);
  } finally {
    await app.close();
  }
}

describe('OpenAPI with @nestjs/swagger', () => {
  it('the DPoP security scheme is an HTTP scheme named DPoP, next to bearer', async () => {
    const doc = await document();
    expect(doc.components?.securitySchemes?.DPoP).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('@DpopBound() routes require DPoP; allowBearer routes list DPoP or bearer; others stay open', async () => {
    const doc = await document();
    const op = (path: string) => (doc.paths[path] as { get: Operation }).get;
    expect(op('/orders').security).toEqual([{ DPoP: [] }]);
    expect(op('/orders/feed').security).toEqual(expect.arrayContaining([{ DPoP: [] }, { bearer: [] }]));
    expect(op('/orders/feed').security).toHaveLength(2);
    // a handler's own @ApiSecurity() adds to the controller's requirement
    expect(op('/orders/admin').security).toEqual(expect.arrayContaining([{ DPoP: [] }, { mtls: [] }]));
    expect(op('/health').security).toBeUndefined();
    expect(op('/orders/public').security).toBeUndefined(); // @SkipDpop() in a @DpopBound() controller
    expect(doc.security).toBeUndefined();
  });

  it('the requirement of a route with scopes lists them, for DPoP and for bearer', async () => {
    const doc = await document();
    const op = (path: string) => (doc.paths[path] as { get: Operation }).get;
    expect(op('/orders/refunds').security).toEqual([{ DPoP: ['orders:read', 'orders:refund'] }]);
    expect(op('/orders/export').security).toEqual([{ DPoP: ['orders:export'] }, { bearer: ['orders:export'] }]);
    expect(op('/orders').security).toEqual([{ DPoP: [] }]); // the controller's @DpopBound() has none
  });

  it('{ global: true } requires DPoP document-wide (for protectAllRoutes)', async () => {
    const doc = await document(true);
    expect(doc.security).toEqual([{ DPoP: [] }]);
  });
});
