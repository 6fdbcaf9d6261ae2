import { Controller, Get, Injectable, Req, type ExecutionContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { DpopBound, DpopGuard } from '../../lib/index.js';
import { ADAPTERS, start, useGuardFixture } from '../helpers/guard-app.js';
import { send } from '../helpers/servers.js';

// The option yieldToEventLoop: after a check that waited for nothing (a returning client on the memory store),
// the handler runs on the next check phase (setImmediate) by default, and at once with `false`.
const f = useGuardFixture();

type Marked = { raw?: Marked; immediateRan?: boolean };

/** Schedules a setImmediate as the check starts; the handler says whether it ran before it. */
@Injectable()
class MarkingGuard extends DpopGuard {
  protected override shouldSkip(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Marked>();
    setImmediate(() => ((request.raw ?? request).immediateRan = true));
    return false;
  }
}

@Controller('order')
class OrderController {
  @Get()
  @DpopBound()
  order(@Req() request: Marked) {
    return { immediateRan: (request.raw ?? request).immediateRan === true };
  }
}

describe.each(ADAPTERS)('yieldToEventLoop on %s', (adapter) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it.each([
    [undefined, true],
    [true, true],
    [false, false],
  ])(
    'yieldToEventLoop %s: the handler of a returning client runs after an earlier setImmediate: %s',
    async (option, after) => {
      const { app, base } = await start(
        adapter,
        f.jwtOptions(option === undefined ? {} : { yieldToEventLoop: option }),
        MarkingGuard,
        [OrderController],
      );
      close = () => app.close();
      const token = await f.mint({ cnf: { jkt: f.jkt } });
      const call = async () => send(`${base}/order`, { headers: await f.dpopHeaders(base, 'GET', '/order', token) });
      expect((await call()).status).toBe(200); // the first call verifies the token (asynchronously)
      for (let i = 0; i < 3; i++) {
        const res = await call(); // a returning client: nothing to wait for
        expect(res.status).toBe(200);
        expect(res.json()).toEqual({ immediateRan: after });
      }
    },
  );

  it('refuses a yieldToEventLoop that is not a boolean, saying what to fix', async () => {
    await expect(start(adapter, f.jwtOptions({ yieldToEventLoop: 'yes' as never }))).rejects.toThrow(
      /yieldToEventLoop/,
    );
  });
});
