import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Creates the replay-record and refresh-token-binding tables with their
 * expiry indexes, on SQLite, PostgreSQL and MySQL/MariaDB. Add it to your
 * DataSource's `migrations` (or use `synchronize` while developing).
 * @publicApi
 */
export class CreateDpopTables1795000000000 implements MigrationInterface {
  name = 'CreateDpopTables1795000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // On MySQL/MariaDB, compare keys byte for byte: the default collations ignore case.
    const mysql = ['mysql', 'mariadb'].includes(queryRunner.connection.options.type);
    const key = mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'dpop_replay_record',
        columns: [
          { name: 'id', type: 'varchar', length: '43', isPrimary: true, ...key },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'IDX_dpop_replay_record_expires_at', columnNames: ['expires_at'] }],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'dpop_refresh_token_binding',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '43', isPrimary: true, ...key },
          { name: 'jkt', type: 'varchar', length: '43', ...key },
          { name: 'client_id', type: 'varchar', length: '255' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'IDX_dpop_refresh_token_binding_expires_at', columnNames: ['expires_at'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('dpop_refresh_token_binding', true);
    await queryRunner.dropTable('dpop_replay_record', true);
  }
}

/** The migrations to list in your DataSource's `migrations`. @publicApi */
export const DPOP_TYPEORM_MIGRATIONS = [CreateDpopTables1795000000000];
