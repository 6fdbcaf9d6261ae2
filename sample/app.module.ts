import { Module } from '@nestjs/common';
import { DpopModule } from '../lib/index.js';
import { ProofController } from './proof.controller.js';

@Module({
  imports: [
    DpopModule.forRoot({
      nonce: { required: process.env.DPOP_NONCE === 'on', secret: process.env.DPOP_NONCE_SECRET },
    }),
  ],
  controllers: [ProofController],
})
export class AppModule {}
