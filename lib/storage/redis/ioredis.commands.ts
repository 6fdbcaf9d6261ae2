import { createHash } from 'node:crypto';
import { notReady, type IoRedisClientLike, type RedisCommands } from './redis-client.js';

/** `SET key 1 NX PX ttl` for every key, in one call: 1 where the key was set, 0 where it was there already. */
const SET_EACH_IF_ABSENT = `local set = {}
for i = 1, #KEYS do
  set[i] = redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[i]) and 1 or 0
end
return set`;
const SET_EACH_IF_ABSENT_SHA1 = createHash('sha1').update(SET_EACH_IF_ABSENT).digest('hex');

/**
 * Errors after which the script surely did not run, so each key can still be sent on its own: a Redis that does
 * not hold it (NOSCRIPT), an ACL without scripts (NOPERM), a proxy without EVALSHA, and a server in cluster mode
 * behind a client that is not a Cluster (one node holding every slot, a slot-checking proxy): CROSSSLOT, MOVED, ASK.
 */
const SCRIPT_NOT_RUN = /^(NOSCRIPT|NOPERM|ERR unknown command|CROSSSLOT|MOVED|ASK)\b/;

/** Most keys in one script: a bigger batch goes as several, so no one call blocks Redis long or spreads too many arguments. */
const SCRIPT_MAX_KEYS = 512;

/** The ioredis methods used, as they are at run time. */
interface IoRedisMethods {
  readonly isCluster?: boolean;
  evalsha(sha1: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
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
 *
 * On a single node or Sentinel, the replay records of one batch of checks (`setEachIfAbsent`, from
 * `RedisDpopStore.rememberProofs`) go to Redis as one script that runs `SET key 1 NX PX ttl` for each key:
 * ioredis costs several µs of CPU per command, so one command for the batch instead of one per
 * proof. Where scripts are not possible (`NOPERM`, no `EVALSHA`, a server in cluster mode: `CROSSSLOT`),
 * it sends the SETs one by one from then on. On a Cluster client, keys of one script would have to share a
 * slot, so each key is its own SET.
 * @internal
 */
export class IoRedisCommands implements RedisCommands {
  private readonly commands: IoRedisMethods;
  /** Whether replay records asked for together are sent as one script. */
  private scripts: boolean;

  constructor(private readonly client: IoRedisClientLike) {
    this.commands = client as unknown as IoRedisMethods;
    this.scripts = this.commands.isCluster !== true && typeof this.commands.evalsha === 'function';
  }

  setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    return this.setOne(key, ttlMs);
  }

  /** Scripts of at most SCRIPT_MAX_KEYS keys (a SET per key where scripts are not possible, or for one key). */
  setEachIfAbsent(keys: readonly string[], ttlsMs: readonly number[]): Promise<boolean[]> {
    const parts: Promise<boolean[]>[] = [];
    for (let from = 0; from < keys.length; from += SCRIPT_MAX_KEYS) {
      parts.push(this.send(keys.slice(from, from + SCRIPT_MAX_KEYS), ttlsMs.slice(from, from + SCRIPT_MAX_KEYS)));
    }
    return Promise.all(parts).then((answers) => answers.flat());
  }

  private async setOne(key: string, ttlMs: number): Promise<boolean> {
    this.ready();
    const reply = await this.commands.set(key, '1', 'PX', ttlMs, 'NX');
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw new Error('RedisDpopStore: unexpected reply to SET NX');
  }

  private async send(keys: string[], ttls: number[]): Promise<boolean[]> {
    const each = () => Promise.all(keys.map((key, i) => this.setOne(key, ttls[i]!)));
    if (keys.length === 1 || !this.scripts) return each();
    let reply: unknown;
    try {
      reply = await this.runScript(keys, ttls);
    } catch (error) {
      const message = (error as Error | undefined)?.message ?? '';
      if (!SCRIPT_NOT_RUN.test(message)) throw error;
      if (!message.startsWith('NOSCRIPT')) this.scripts = false; // not possible here: a SET per key from now on
      return each();
    }
    if (!Array.isArray(reply) || reply.length !== keys.length || !reply.every((n) => n === 0 || n === 1)) {
      throw new Error('RedisDpopStore: unexpected reply to the SET NX script');
    }
    return reply.map((n) => n === 1);
  }

  /** EVALSHA, or EVAL when Redis does not hold the script (yet, or any more: a restart, SCRIPT FLUSH). */
  private async runScript(keys: string[], ttls: number[]): Promise<unknown> {
    this.ready();
    try {
      return await this.commands.evalsha(SET_EACH_IF_ABSENT_SHA1, keys.length, ...keys, ...ttls);
    } catch (error) {
      if (!/^NOSCRIPT/.test((error as Error | undefined)?.message ?? '')) throw error;
      this.ready();
      return this.commands.eval(SET_EACH_IF_ABSENT, keys.length, ...keys, ...ttls);
    }
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
