export { TypeOrmDpopStore, DEFAULT_DPOP_SQLITE_FILE, type TypeOrmDpopStoreOptions } from './typeorm-dpop.store.js';
export { DpopReplayRecord, DpopRefreshTokenBinding, DPOP_TYPEORM_ENTITIES } from './dpop-typeorm.entities.js';
export { CreateDpopTables1795000000000, DPOP_TYPEORM_MIGRATIONS } from './dpop-store.migration.js';
