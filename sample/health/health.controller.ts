import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { DpopStoreHealthIndicator } from '../../lib/health/index.js';

/** GET /health: the DPoP replay store (the write path every request needs) and the sample's database. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dpopStore: DpopStoreHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.dpopStore.isHealthy('dpop_store'),
      async () => {
        const database = this.indicators.check('database');
        try {
          await this.dataSource.query('SELECT 1');
          return database.up();
        } catch {
          return database.down({ message: 'the database cannot answer' });
        }
      },
    ]);
  }
}
