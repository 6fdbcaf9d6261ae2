import { Body, Controller, Get, Post } from '@nestjs/common';
import { Dpop, DpopBound, DpopContext } from '../../lib/index.js';

/** The protected API: DPoP-bound access tokens only, but for /api/mixed. */
@Controller('api')
@DpopBound()
export class ApiController {
  @Get('me')
  me(@Dpop() dpop: DpopContext) {
    return { sub: dpop.token.sub, client_id: dpop.token.client_id, scope: dpop.token.scope, jkt: dpop.jkt };
  }

  @Post('echo')
  echo(@Body() body: unknown, @Dpop() dpop: DpopContext) {
    return { body, sub: dpop.token.sub, jkt: dpop.jkt };
  }

  /** Unbound tokens may come as Bearer here; a bound token sent as Bearer is still refused. */
  @Get('mixed')
  @DpopBound({ allowBearer: true })
  mixed(@Dpop() dpop: DpopContext) {
    return { sub: dpop.token.sub, scheme: dpop.scheme, jkt: dpop.jkt ?? null };
  }
}
