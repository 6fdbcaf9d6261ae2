import { describe, expect, it } from 'vitest';
import { runInPackedApp } from '../helpers/packed-app.js';

/**
 * The peer ranges say redis ^5 || ^6 and ioredis ^5 || ^6; the repository develops on the newest 5.x. This
 * installs the packed library next to the oldest 5.x releases (5.0.0) and the newest 6.x, and runs the store on
 * the local Redis with both a client of the app's own and RedisDpopStore.connect(url).
 */
const SCRIPT = `
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createClient } from 'redis';
import IoRedis from 'ioredis';
import { RedisDpopStore } from 'nestjs-dpop/redis';
const require = createRequire(import.meta.url);
const hash = () => createHash('sha256').update(randomUUID()).digest('base64url');
const prefix = 'dpop-peer-test:' + randomUUID().slice(0, 8) + ':';
async function exercise(store) {
  const key = hash();
  const results = await Promise.all(Array.from({ length: 100 }, () => store.rememberProof(key, Date.now() + 5000)));
  const tokenHash = hash();
  await store.saveRefreshTokenBinding({ tokenHash, jkt: key, clientId: 'c', expiresAt: Date.now() + 5000 });
  const binding = await store.findRefreshTokenBinding(tokenHash);
  await store.deleteRefreshTokenBinding(tokenHash);
  return { accepted: results.filter(Boolean).length, binding: binding?.clientId, deleted: (await store.findRefreshTokenBinding(tokenHash)) === undefined };
}
const nodeRedis = createClient({ url: 'redis://127.0.0.1:6379' });
await nodeRedis.connect();
const ioredis = new (IoRedis.Redis ?? IoRedis)(6379, '127.0.0.1');
await new Promise((resolve) => ioredis.once('ready', resolve));
const out = {
  versions: [require('redis/package.json').version, require('ioredis/package.json').version],
  ownRedis: await exercise(new RedisDpopStore(nodeRedis, { keyPrefix: prefix })),
  ownIoredis: await exercise(new RedisDpopStore(ioredis, { keyPrefix: prefix })),
};
for (const client of ['redis', 'ioredis']) {
  const store = await RedisDpopStore.connect('redis://127.0.0.1:6379', { client, keyPrefix: prefix });
  out[client] = await exercise(store);
  await store.close();
}
const keys = await ioredis.keys(prefix + '*');
if (keys.length > 0) await ioredis.del(...keys);
await nodeRedis.close();
ioredis.disconnect();
console.log(JSON.stringify(out));
`;

describe('RedisDpopStore on the edges of the peer ranges (packed library)', () => {
  it.each([
    ['5.0.0', '5.0.0'],
    ['^6.0.0', '^6.0.0'],
  ])('redis %s and ioredis %s: own clients and connect(url)', { timeout: 300_000 }, (redis, ioredis) => {
    const result = runInPackedApp({
      type: 'module',
      dependencies: {
        redis,
        ioredis,
        '@nestjs/common': '^11.1.0',
        '@nestjs/core': '^11.1.0',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.0',
      },
      file: 'check.mjs',
      source: SCRIPT,
    });
    expect(result.versions).toEqual(
      [redis.replace('^', ''), ioredis.replace('^', '')].map((v) =>
        expect.stringMatching(new RegExp(`^${v.split('.')[0]}\\.`)),
      ),
    );
    const expected = { accepted: 1, binding: 'c', deleted: true };
    for (const run of ['ownRedis', 'ownIoredis', 'redis', 'ioredis']) expect(result[run]).toEqual(expected);
  });
});
