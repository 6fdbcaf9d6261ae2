import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** bigint columns come back as strings from PostgreSQL and MySQL; times fit a JS number. */
const epochMs: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/*
 * On MySQL/MariaDB the default collations ignore case, so two keys differing only in case would collide (a replay
 * key taken for another's replay, one refresh token's binding overwriting another's). The migration declares its
 * key columns `ascii` / `ascii_bin`; for `synchronize`, the entities give the same as the table's defaults, in
 * `engine`: TypeORM writes that option on MySQL/MariaDB only, while column `charset`/`collation` it also writes on
 * PostgreSQL (a syntax error there) and SQLite (no such collation). The bindings table keeps `client_id` in
 * utf8mb4, as the migration does, and compares its keys byte for byte with `utf8mb4_bin`.
 */
const MYSQL_ASCII_BYTEWISE = 'InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin';
const MYSQL_UTF8_BYTEWISE = 'InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * One used DPoP proof: SHA-256 of (key thumbprint, jti), kept until the
 * proof could no longer pass the `iat` check.
 * @publicApi
 */
@Entity('dpop_replay_record', { engine: MYSQL_ASCII_BYTEWISE })
export class DpopReplayRecord {
  /** base64url SHA-256: exactly 43 characters. */
  @PrimaryColumn({ type: 'varchar', length: 43 })
  id!: string;

  /** ms since the epoch. */
  @Index('IDX_dpop_replay_record_expires_at')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;
}

/**
 * A refresh token's key binding; the token itself is never stored.
 * @publicApi
 */
@Entity('dpop_refresh_token_binding', { engine: MYSQL_UTF8_BYTEWISE })
export class DpopRefreshTokenBinding {
  /** base64url SHA-256 of the refresh token. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 43 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 43 })
  jkt!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 255 })
  clientId!: string;

  /** ms since the epoch. */
  @Index('IDX_dpop_refresh_token_binding_expires_at')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;
}

/** The entities to list in your DataSource's `entities`. @publicApi */
export const DPOP_TYPEORM_ENTITIES = [DpopReplayRecord, DpopRefreshTokenBinding];
