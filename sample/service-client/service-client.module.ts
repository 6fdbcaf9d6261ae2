import { Module } from '@nestjs/common';
import { DpopClientModule } from '../../lib/client/index.js';
import { SampleConfig } from '../sample.config.js';
import { SelfCallController } from './self-call.controller.js';

/** The sample's service client: demo-service (client credentials) calling DPoP-protected APIs. */
@Module({
  imports: [
    DpopClientModule.forRootAsync({
      inject: [SampleConfig],
      useFactory: (config: SampleConfig) => ({
        issuer: config.issuer,
        clientId: 'demo-service',
        clientAuthentication: { method: 'client_secret_basic' as const, clientSecret: 'demo-service-secret' },
        token: { scope: 'api' },
        allowInsecureRequests: new URL(config.issuer).protocol === 'http:', // the sample runs on plain HTTP locally
      }),
    }),
  ],
  controllers: [SelfCallController],
})
export class ServiceClientModule {}
