import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** bigint columns come back as strings from PostgreSQL and MySQL; times fit a JS number. */
const epochMs: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One used DPoP proof: SHA-256 of (key thumbprint, jti), kept until the
 * proof could no longer pass the `iat` check.
 * @publicApi
 */
@Entity('dpop_replay_record')
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
@Entity('dpop_refresh_token_binding')
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
