// The type-check matrix's consumer: every entry of the package, values and types, as an app uses them.
import { Controller, Get, Module } from '@nestjs/common';
import {
  Dpop,
  DpopBound,
  DpopContext,
  DpopModule,
  DpopVerifierService,
  jwkThumbprint,
  type DpopModuleOptions,
} from 'nestjs-dpop';
import { DPOP_TYPEORM_ENTITIES, TypeOrmDpopStore } from 'nestjs-dpop/typeorm';
import { createConfirmation, verifyPossession, type Confirmation } from 'nestjs-dpop/confirmation';
import { DpopClientModule, DpopHttpClient, type DpopClientModuleOptions } from 'nestjs-dpop/client';

const options: DpopModuleOptions = { maxProofAge: 120, nonce: { required: false } };

@Controller('orders')
@DpopBound()
export class OrdersController {
  constructor(readonly verifier: DpopVerifierService) {}

  @Get()
  list(@Dpop() dpop: DpopContext): { key: string | undefined; client: unknown } {
    return { key: dpop.jkt, client: dpop.token.client_id };
  }
}

const client: DpopClientModuleOptions = {
  issuer: 'https://as.example.com',
  clientId: 'orders-service',
  clientAuthentication: { method: 'client_secret_basic', clientSecret: 'secret' },
};

@Module({
  imports: [
    DpopModule.forRoot(options),
    DpopModule.forRootAsync({ useFactory: async () => ({ store: await TypeOrmDpopStore.open() }) }),
    DpopClientModule.forRoot(client),
  ],
  controllers: [OrdersController],
})
export class AppModule {}

export async function helpers(http: DpopHttpClient): Promise<[string, Confirmation, number, Response]> {
  const jkt: string = await jwkThumbprint({
    kty: 'OKP',
    crv: 'Ed25519',
    x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  });
  const cnf: Confirmation = await createConfirmation({
    jwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
  });
  void verifyPossession;
  return [jkt, cnf, DPOP_TYPEORM_ENTITIES.length, await http.fetch('https://api.example.com/orders')];
}
