/**
 * The sample's settings, from the environment (see SAMPLE-CONTRACT in the README):
 * PORT, HOST, ISSUER, DATABASE_URL, DPOP_REDIS_URL, DPOP_NONCE, DPOP_NONCE_SECRET.
 */
export class SampleConfig {
  readonly port = Number(process.env.PORT ?? 3000);
  readonly host = process.env.HOST ?? '127.0.0.1';
  /** Public base URL: issuer, endpoint URLs and the base of every htu check. No trailing slash. */
  readonly issuer = (process.env.ISSUER ?? `http://localhost:${this.port}`).replace(/\/+$/, '');
  /** postgres://… or mysql://…; unset: the embedded SQLite file. */
  readonly databaseUrl = process.env.DATABASE_URL || undefined;
  readonly sqliteFile = process.env.SAMPLE_SQLITE_FILE ?? '.data/sample.sqlite';
  /** redis://…: DPoP replay records and refresh-token bindings in Redis (the sample's own data stays put). */
  readonly dpopRedisUrl = process.env.DPOP_REDIS_URL || undefined;
  readonly nonce = process.env.DPOP_NONCE === 'on';
  readonly nonceSecret = process.env.DPOP_NONCE_SECRET || undefined;
}
