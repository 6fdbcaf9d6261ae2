import { Module } from '@nestjs/common';
import { DpopModule } from '../lib/index.js';
import { TypeOrmDpopStore } from '../lib/typeorm/index.js';
import { ProofController } from './proof.controller.js';

@Module({
  imports: [
    DpopModule.forRootAsync({
      // Replay records go to an embedded SQLite file (.data/dpop.sqlite) by default.
      useFactory: async () => ({
        store: await TypeOrmDpopStore.open(),
        nonce: { required: process.env.DPOP_NONCE === 'on', secret: process.env.DPOP_NONCE_SECRET },
      }),
    }),
  ],
  controllers: [ProofController],
})
export class AppModule {}
