import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DPOP_DEFAULTS } from '../options/dpop-default-options.js';
import { DpopStore } from '../storage/dpop-store.js';

/** Options of {@link DpopStoreHealthIndicator.isHealthy}. @publicApi */
export interface DpopStoreHealthOptions {
  /** How long the probe may take before the store counts as down, in ms. @default 1000 */
  timeoutMs?: number;
}

/** What the timer rejects with: told apart by identity, not by message. */
const TIMED_OUT = Symbol('timed out');

/**
 * A `@nestjs/terminus` health indicator for the DPoP replay store (memory,
 * TypeORM, Redis, or your own): up when the store records a probe (the write path
 * every request needs), down when it fails or does not answer in time. The store
 * is the one `DpopModule` uses; list the indicator in the providers of your health
 * controller's module (with `TerminusModule` imported):
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.dpopStore.isHealthy('dpop_store')]); }
 * ```
 * @publicApi
 */
@Injectable()
export class DpopStoreHealthIndicator {
  constructor(
    private readonly store: DpopStore,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(
    key: Key,
    options: DpopStoreHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const timeoutMs = options.timeoutMs ?? DPOP_DEFAULTS.healthCheck.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.checkHealth(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
        }),
      ]);
      return session.up();
    } catch (error) {
      // Nothing of the cause in the response: it may name hosts or credentials.
      return session.down({
        message: error === TIMED_OUT ? `no answer within ${timeoutMs} ms` : 'the store cannot answer',
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
