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

/** A pushed authorization request (RFC 9126), stored by the hash of its request_uri until used once. */
@Entity('sample_pushed_authorization_request')
export class PushedAuthorizationRequest {
  @PrimaryColumn({ type: 'varchar', length: 43 })
  requestUriHash!: string;
  @Column({ type: 'varchar', length: 100 })
  clientId!: string;
  /** The authorization parameters, as JSON (bounded by the PAR endpoint). */
  @Column({ type: 'text' })
  params!: string;
  /** The key the code will be bound to: the PAR proof's, or dpop_jkt (RFC 9449 §10.1). */
  @Column({ type: 'varchar', length: 43, nullable: true })
  dpopJkt!: string | null;
  @Column({ type: 'bigint' })
  expiresAt!: string;
}

/** The jti of an accepted private_key_jwt client assertion, kept until it expires (single use). */
@Entity('sample_used_client_assertion')
export class UsedClientAssertion {
  @PrimaryColumn({ type: 'varchar', length: 43 })
  jtiHash!: string;
  @Column({ type: 'bigint' })
  expiresAt!: string;
}
