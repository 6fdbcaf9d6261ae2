import { notReady, type IoRedisClientLike, type RedisCommands } from './redis-client.js';

/** The ioredis methods used, as they are at run time. */
interface IoRedisMethods {
  set(key: string, value: string, ...args: (string | number)[]): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * The store's commands on an ioredis client (`Redis` or `Cluster`). ioredis has no per-command
 * timeout option, so the store bounds every call itself; commands are sent only while the
 * client is `ready`, so none pile up in its offline queue during an outage.
 * @internal
 */
export class IoRedisCommands implements RedisCommands {
  private readonly commands: IoRedisMethods;

  constructor(private readonly client: IoRedisClientLike) {
    this.commands = client as unknown as IoRedisMethods;
  }

  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    this.ready();
    const reply = await this.commands.set(key, '1', 'PX', ttlMs, 'NX');
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw new Error('RedisDpopStore: unexpected reply to SET NX');
  }

  async setWithTtl(key: string, value: string, ttlMs: number): Promise<void> {
    this.ready();
    const reply = await this.commands.set(key, value, 'PX', ttlMs);
    if (reply !== 'OK') throw new Error('RedisDpopStore: unexpected reply to SET');
  }

  get(key: string): Promise<string | null> {
    this.ready();
    return this.commands.get(key);
  }

  async del(key: string): Promise<void> {
    this.ready();
    await this.commands.del(key);
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') await this.commands.quit();
    else this.commands.disconnect();
  }

  private ready(): void {
    if (this.client.status !== 'ready') throw notReady();
  }
}
