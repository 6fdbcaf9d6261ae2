import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DpopModule } from '../lib/index.js';
import { RedisDpopStore } from '../lib/storage/redis/index.js';
import { TypeOrmDpopStore } from '../lib/storage/typeorm/index.js';
import { TerminusModule } from '@nestjs/terminus';
import { DpopStoreHealthIndicator } from '../lib/health/index.js';
import { ApiController } from './api/api.controller.js';
import { HealthController } from './health/health.controller.js';
import { ClientController } from './client/client.controller.js';
import { GraphqlApiModule } from './graphql/graphql-api.module.js';
import { AuthorizeController } from './oauth/authorize.controller.js';
import { ClientAuthService } from './oauth/client-auth.service.js';
import { ExpiredRowsPruner } from './oauth/expired-rows.pruner.js';
import { IntrospectController } from './oauth/introspect.controller.js';
import { KeysService } from './oauth/keys.service.js';
import { MetadataController } from './oauth/metadata.controller.js';
import { ParController } from './oauth/par.controller.js';
import { TokenController } from './oauth/token.controller.js';
import { TokensService } from './oauth/tokens.service.js';
import { SampleCoreModule } from './sample-core.module.js';
import { SampleConfig } from './sample.config.js';
import { ServiceClientModule } from './service-client/service-client.module.js';

/**
 * The sample: an authorization server, a DPoP-protected API and a browser
 * client in one app. DpopModule keeps its replay records and refresh-token
 * bindings in the sample's own DataSource, or in Redis when DPOP_REDIS_URL is
 * set (the store closes its client when the app shuts down).
 */
@Module({})
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SampleCoreModule.register(config),
        TerminusModule,
        DpopModule.forRootAsync({
          isGlobal: true,
          inject: [DataSource, SampleConfig, KeysService],
          useFactory: async (dataSource: DataSource, settings: SampleConfig, keys: KeysService) => ({
            store: settings.dpopRedisUrl
              ? await RedisDpopStore.connect(settings.dpopRedisUrl)
              : new TypeOrmDpopStore(dataSource),
            publicUrl: settings.issuer, // every htu is checked against the public URL
            nonce: { required: settings.nonce, secret: settings.nonceSecret },
            accessToken: {
              type: 'jwt',
              issuer: settings.issuer,
              audience: settings.issuer,
              keys: [keys.publicJwk],
              typ: 'at+jwt',
            },
          }),
        }),
        ServiceClientModule,
        GraphqlApiModule,
      ],
      controllers: [
        MetadataController,
        AuthorizeController,
        TokenController,
        ParController,
        IntrospectController,
        ApiController,
        ClientController,
        HealthController,
      ],
      providers: [TokensService, ClientAuthService, ExpiredRowsPruner, DpopStoreHealthIndicator],
    };
  }
}
