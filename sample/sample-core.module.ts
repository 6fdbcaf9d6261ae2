import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseOptions } from './database.js';
import { KeysService } from './oauth/keys.service.js';
import { SampleConfig } from './sample.config.js';

/** Closes the sample's DataSource when the app shuts down. */
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Configuration, the database and the AS signing key, shared by the whole sample. */
@Global()
@Module({})
export class SampleCoreModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: SampleCoreModule,
      providers: [
        { provide: SampleConfig, useValue: config },
        {
          provide: DataSource,
          useFactory: async () => {
            if (!config.databaseUrl) {
              const { mkdirSync } = await import('node:fs');
              const { dirname } = await import('node:path');
              mkdirSync(dirname(config.sqliteFile), { recursive: true });
            }
            return new DataSource(databaseOptions(config)).initialize();
          },
        },
        { provide: KeysService, useFactory: KeysService.load, inject: [DataSource, SampleConfig] },
        DataSourceCloser,
      ],
      exports: [SampleConfig, DataSource, KeysService],
    };
  }
}
