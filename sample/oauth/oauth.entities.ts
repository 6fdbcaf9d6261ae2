import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An authorization code, stored by its hash until redeemed once. */
@Entity('sample_authorization_code')
export class AuthorizationCode {
  @PrimaryColumn({ type: 'varchar', length: 43 })
  codeHash!: string;
  @Column({ type: 'varchar', length: 100 })
  clientId!: string;
  @Column({ type: 'varchar', length: 500 })
  redirectUri!: string;
  @Column({ type: 'varchar', length: 500 })
  scope!: string;
  @Column({ type: 'varchar', length: 100, nullable: true })
  codeChallenge!: string | null;
  @Column({ type: 'varchar', length: 500, nullable: true })
  nonce!: string | null;
  @Column({ type: 'varchar', length: 43, nullable: true })
  dpopJkt!: string | null;
  @Column({ type: 'bigint' })
  expiresAt!: string;
}

/** A refresh token, stored by its hash; rotated on use. */
@Entity('sample_refresh_token')
export class IssuedRefreshToken {
  @PrimaryColumn({ type: 'varchar', length: 43 })
  tokenHash!: string;
  @Column({ type: 'varchar', length: 100 })
  clientId!: string;
  @Column({ type: 'varchar', length: 100 })
  sub!: string;
  @Column({ type: 'varchar', length: 500 })
  scope!: string;
  @Column({ type: 'bigint' })
  expiresAt!: string;
}

/** The authorization server's signing key, kept so tokens outlive a restart. */
@Entity('sample_signing_key')
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;
  @Column({ type: 'text' })
  privateJwk!: string;
}
