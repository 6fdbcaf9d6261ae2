import { Controller, Get, Post } from '@nestjs/common';
import { Dpop, DpopBound, DpopContext } from 'nestjs-dpop';

// As in the README ("Protect an API").
@Controller('orders')
@DpopBound() // every handler demands Authorization: DPoP <token> + a DPoP proof bound to it
export class OrdersController {
  @Get()
  list(@Dpop() dpop: DpopContext) {
    return { client: dpop.token.client_id, key: dpop.jkt };
  }

  @Post()
  @DpopBound({ requireNonce: true }) // handler options win: this one also demands a server nonce
  create(@Dpop('jkt') jkt: string) {
    return { jkt };
  }
}
