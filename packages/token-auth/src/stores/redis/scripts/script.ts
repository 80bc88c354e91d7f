/**
 * A Lua script of the Redis store, called by SHA-1 and loaded on a cache miss.
 *
 * Each script is one atomic step on the server: no other command runs between its reads
 * and writes, whichever process sent it. Scripts receive the keys they know in `KEYS` and
 * build the keys of records they discover from the store's prefix in `ARGV`, so they are
 * meant for one Redis server (standalone, replicated or with Sentinel), not Redis Cluster.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script, called by SHA-1 (`EVALSHA`) and sent whole only when Redis lacks it. */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  /** @param source - The Lua source. */
  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script.
   * @param client - The connection.
   * @param keys - `KEYS`.
   * @param args - `ARGV`.
   * @returns The script's reply.
   */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}
