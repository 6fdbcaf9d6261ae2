import { Module } from '@nestjs/common';
import { DpopModule } from 'nestjs-dpop';
import { DPOP_TYPEORM_ENTITIES, TypeOrmDpopStore } from 'nestjs-dpop/typeorm';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { OrdersController } from './orders.controller.js';

/** The issuer's public key (a throwaway test key: its private half is in orders.controller.spec.ts). */
export const ISSUER_PUBLIC_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'huibr4xrG2vtABVrM9bGkE9sod6LDl1YhnGYdqULJoU',
  y: 'kn7xIQMNMftRuloTaR5u-5exv1KolYqJPbZ_-wO55vQ',
};

/** What the app would give TypeORM to keep replay records in its database (nestjs-dpop/typeorm). */
export const DPOP_DATABASE = { entities: [...DPOP_TYPEORM_ENTITIES], store: TypeOrmDpopStore };

@Module({
  imports: [
    DpopModule.forRoot({
      isGlobal: true,
      accessToken: {
        type: 'jwt',
        issuer: 'https://as.example.com',
        audience: 'https://api.example.com',
        keys: [ISSUER_PUBLIC_JWK],
      },
    }),
  ],
  controllers: [AppController, OrdersController],
  providers: [AppService],
})
export class AppModule {}
