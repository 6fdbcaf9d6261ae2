import type { DataSourceOptions } from 'typeorm';
import { DPOP_TYPEORM_ENTITIES } from '../lib/storage/typeorm/index.js';
import {
  AuthorizationCode,
  IssuedRefreshToken,
  PushedAuthorizationRequest,
  SigningKey,
  UsedClientAssertion,
} from './oauth/oauth.entities.js';
import type { SampleConfig } from './sample.config.js';

/** The sample's database: the embedded SQLite file, or DATABASE_URL (postgres://… or mysql://…). */
export function databaseOptions(config: SampleConfig): DataSourceOptions {
  // The quick path of the README: synchronize creates the tables (the library also ships a migration).
  const common = {
    entities: [
      ...DPOP_TYPEORM_ENTITIES,
      AuthorizationCode,
      IssuedRefreshToken,
      SigningKey,
      PushedAuthorizationRequest,
      UsedClientAssertion,
    ],
    synchronize: true,
  };
  const url = config.databaseUrl;
  if (!url) return { type: 'better-sqlite3', database: config.sqliteFile, enableWAL: true, ...common };
  if (/^postgres(ql)?:/.test(url)) return { type: 'postgres', url, ...common };
  if (/^(mysql|mariadb):/.test(url)) return { type: 'mariadb', url: url.replace(/^mariadb:/, 'mysql:'), ...common };
  throw new Error(`DATABASE_URL must start with postgres:// or mysql:// (got ${url.split(':')[0]}:…)`);
}
