import { notReady, type NodeRedisClientLike, type RedisCommands } from './redis-client.js';

/** The node-redis v5 methods used, as they are at run time. */
interface NodeRedisMethods {
  set(
    key: string,
    value: string,
    options: { condition?: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<string | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  close?(): Promise<void>;
  quit?(): Promise<unknown>;
}

/**
 * The store's commands on a node-redis v5 client (single node, cluster or Sentinel). Nothing is
 * sent (or queued) while the client is not ready; the store bounds every call with its own timer.
 * node-redis' per-command `timeout` option is not used: it stops applying once a command is
 * written (so it cannot bound a hung server) and costs ~15 µs of CPU per command (an
 * `AbortSignal.timeout` each), more than the rest of the command.
 * @internal
 */
export class NodeRedisCommands implements RedisCommands {
  private readonly commands: NodeRedisMethods;

  constructor(private readonly client: NodeRedisClientLike) {
    this.commands = client as unknown as NodeRedisMethods;
  }

  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    this.ready();
    const reply = await this.commands.set(key, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw new Error('RedisDpopStore: unexpected reply to SET NX');
  }

  /** A SET per key: node-redis pipelines the commands of one tick into one write. */
  setEachIfAbsent(keys: readonly string[], ttlsMs: readonly number[]): Promise<boolean[]> {
    return Promise.all(keys.map((key, i) => this.setIfAbsent(key, ttlsMs[i]!)));
  }

  async setWithTtl(key: string, value: string, ttlMs: number): Promise<void> {
    this.ready();
    const reply = await this.commands.set(key, value, { expiration: { type: 'PX', value: ttlMs } });
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
    const client = this.client as unknown as NodeRedisMethods;
    if (!this.client.isOpen) return;
    if (client.close) await client.close();
    else await client.quit?.();
  }

  /** Sends nothing (no offline queue) while the client reconnects. */
  private ready(): void {
    const ready = this.client.isReady ?? this.client.isOpen;
    if (!ready) throw notReady();
  }
}
