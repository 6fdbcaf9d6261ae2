import { afterAll, describe } from 'vitest';
import { storeContract } from '../helpers/store-contract.js';
import { admin, deletePrefix, redisHarness, uniquePrefix, type RedisLibrary } from '../helpers/redis-harness.js';

// Redis on 127.0.0.1:6379 (npm run test:db), through node-redis v5 and ioredis; fails loudly when it is down.
describe.each<RedisLibrary>(['redis', 'ioredis'])('RedisDpopStore on %s', (library) => {
  const prefix = uniquePrefix();
  afterAll(async () => {
    const client = await admin();
    await deletePrefix(client, prefix);
    await client.quit();
  });
  storeContract(`Redis (${library})`, redisHarness(library, prefix));
});
