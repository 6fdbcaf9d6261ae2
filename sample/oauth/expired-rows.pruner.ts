import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource, LessThanOrEqual } from 'typeorm';
import {
  AuthorizationCode,
  IssuedRefreshToken,
  PushedAuthorizationRequest,
  UsedClientAssertion,
} from './oauth.entities.js';

/** The sample's single-use and expiring rows: each has an `expiresAt` (ms since the epoch). */
const EXPIRING = [AuthorizationCode, IssuedRefreshToken, PushedAuthorizationRequest, UsedClientAssertion];

/**
 * Deletes the sample's expired rows (unredeemed codes, unused pushed requests, used
 * client-assertion jtis, lapsed refresh tokens) every minute, off the request path, so
 * its tables stay near their live size. Expired rows are refused whether or not they
 * are still there; this only gives the space back.
 */
@Injectable()
export class ExpiredRowsPruner implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Sample');
  private timer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.prune().catch(() => undefined), 60_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Deletes every expired row now; resolves with how many went. */
  async prune(now = Date.now()): Promise<number> {
    let removed = 0;
    try {
      for (const entity of EXPIRING) {
        const { affected } = await this.dataSource
          .getRepository(entity)
          .delete({ expiresAt: LessThanOrEqual(String(now)) });
        removed += affected ?? 0;
      }
    } catch (error) {
      this.logger.warn(`Deleting expired sample rows failed; will retry: ${(error as Error).message}`);
      throw error;
    }
    return removed;
  }
}
