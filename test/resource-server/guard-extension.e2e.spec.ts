import { Controller, Get, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { generateProof } from 'dpop';
import { describe, expect, it } from 'vitest';
import {
  Dpop,
  DpopBound,
  DpopContext,
  DpopGuard,
  InjectDpopOptions,
  SkipDpop,
  type ResolvedDpopOptions,
} from '../../lib/index.js';
import { ADAPTERS, OpenController, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// DpopGuard as an extension point: APP_GUARD, protectAllRoutes with @SkipDpop(), and a subclass with a
// dependency of its own (through @InjectDpopOptions()) that overrides getRequestUrl and shouldSkip.
const f = useGuardFixture();

@Controller('all')
class EverythingController {
  @Get('guarded')
  guarded(@Dpop('jkt') jkt: string) {
    return { jkt };
  }

  @Get('public')
  @SkipDpop()
  open() {
    return { open: true };
  }

  @Get('mixed')
  @DpopBound({ allowBearer: true })
  mixed(@Dpop('scheme') scheme: string) {
    return { scheme };
  }
}

@Controller('skipped')
@SkipDpop()
class SkippedController {
  @Get()
  open() {
    return { open: true };
  }

  @Get('but-this')
  @SkipDpop(false)
  guarded(@Dpop('jkt') jkt: string) {
    return { jkt };
  }
}

@Controller('tenant')
@DpopBound()
class TenantController {
  @Get()
  me(@Dpop() dpop?: DpopContext) {
    return { scheme: dpop?.scheme ?? 'skipped' };
  }
}

/** Where the tenant's public host comes from: a dependency the subclass adds. */
@Injectable()
class TenantDirectory {
  readonly publicBase = 'https://tenant-a.example.com/api-gw';
  readonly probes: string[] = [];
}

@Injectable()
class TenantDpopGuard extends DpopGuard {
  constructor(
    @InjectDpopOptions() options: ResolvedDpopOptions,
    reflector: Reflector,
    private readonly tenants: TenantDirectory,
  ) {
    super(options, reflector);
  }

  protected override getRequestUrl(request: { url?: string; originalUrl?: string }): string {
    return `${this.tenants.publicBase}${request.originalUrl ?? request.url}`;
  }

  protected override shouldSkip(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const probe = request.headers['x-health-probe'] === 'yes';
    if (probe) this.tenants.probes.push('skipped');
    return probe;
  }
}

describe.each(ADAPTERS)('DpopGuard as an extension point on %s', (adapter) => {
  it('registered globally (APP_GUARD) with routes opting in, each request is checked once', async () => {
    const { app, base } = await start(adapter, f.jwtOptions(), true);
    try {
      const res = await send(`${base}/api/me`, { headers: await f.boundRequest(base) });
      expect(res.status).toBe(200);
      expect((await send(`${base}/open`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('protectAllRoutes: every route needs DPoP unless @SkipDpop(); handler decorators win over the controller', async () => {
    const { app, base } = await start(adapter, f.jwtOptions({ protectAllRoutes: true }), true, [
      EverythingController,
      SkippedController,
      OpenController,
    ]);
    try {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      for (const path of ['/all/guarded', '/open', '/skipped/but-this']) {
        expect((await send(`${base}${path}`)).status, path).toBe(401);
        const ok = await send(`${base}${path}`, { headers: await f.dpopHeaders(base, 'GET', path, token) });
        expect(ok.status, path).toBe(200);
      }
      expect((await send(`${base}/all/public`)).json()).toEqual({ open: true });
      expect((await send(`${base}/skipped`)).json()).toEqual({ open: true });
      const unbound = await f.mint({});
      const bearer = await send(`${base}/all/mixed`, { headers: { authorization: `Bearer ${unbound}` } });
      expect(bearer.json()).toEqual({ scheme: 'Bearer' });
    } finally {
      await app.close();
    }
  });

  it('without protectAllRoutes the global guard leaves unmarked routes open', async () => {
    const { app, base } = await start(adapter, f.jwtOptions(), true, [EverythingController]);
    try {
      expect((await send(`${base}/all/guarded`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a subclass with its own dependency overrides getRequestUrl and shouldSkip', async () => {
    const { app, base } = await start(adapter, f.jwtOptions(), TenantDpopGuard, [TenantController], undefined, [
      TenantDirectory,
    ]);
    try {
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      const url = 'https://tenant-a.example.com/api-gw/tenant';
      const proof = await generateProof(f.client, url, 'GET', undefined, token);
      const res = await send(`${base}/tenant`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ scheme: 'DPoP' });
      const direct = await generateProof(f.client, `${base}/tenant`, 'GET', undefined, token);
      const refused = await send(`${base}/tenant`, { headers: { authorization: `DPoP ${token}`, dpop: direct } });
      expect(refused.status).toBe(401);
      const probe = await send(`${base}/tenant`, { headers: { 'x-health-probe': 'yes' } });
      expect(probe.json()).toEqual({ scheme: 'skipped' });
      expect(app.get(TenantDirectory).probes).toEqual(['skipped']);
    } finally {
      await app.close();
    }
  });
});
