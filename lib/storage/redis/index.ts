export { RedisDpopStore, type RedisDpopStoreOptions, type RedisDpopStoreConnectOptions } from './redis-dpop.store.js';
export type { RedisClientLibrary } from './redis-connect.js';
export type { IoRedisClientLike, NodeRedisClientLike, RedisClientLike } from './redis-client.js';
