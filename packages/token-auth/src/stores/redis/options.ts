/**
 * The options of the Redis store and its factory, and their one resolver.
 *
 * @module
 */

import type { RedisOptions } from 'ioredis';
import { ConfigError } from '../../errors.js';
import { integerOption, millisecondsOption } from '../../lib/options.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prefix of every key the store writes, so that several applications (or test runs) can
   * share one Redis database. Set it here, not as ioredis's own `keyPrefix`.
   * @defaultValue `'token-auth:'`
   */
  keyPrefix?: string | undefined;
  /**
   * How long, in milliseconds, a record is kept after it stopped mattering before Redis
   * expires it. Expiry is relative: a record that matters for `d` ms by the core's clock
   * gets a TTL of `d + gcGraceMs` on Redis's clock, which only collects garbage.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number | undefined;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number | undefined;
}

/** Options of {@link createRedisStore}: the store's, and the client's. */
export interface CreateRedisStoreOptions extends RedisStoreOptions {
  /**
   * ioredis options of the client the factory creates. The store's defaults, which these
   * override: `autoResendUnfulfilledCommands: false` (a command whose reply was lost with
   * the connection may have been applied: resending a rotation would answer `reused` and
   * end the legitimate client's session; do not turn it back on), `maxRetriesPerRequest: 1`
   * (fail fast while Redis is unreachable) and `enableAutoPipelining: false` (ioredis 5
   * never settles an auto-pipeline dropped with the connection when it does not resend).
   */
  redisOptions?: RedisOptions | undefined;
}

/** The resolved options of a {@link RedisStore}. */
export interface ResolvedRedisStoreOptions {
  /** Key prefix. */
  prefix: string;
  /** Garbage-collection grace, ms. */
  gcGraceMs: number;
  /** History cap. */
  maxHistoryEntries: number;
}

/** The client defaults of {@link CreateRedisStoreOptions.redisOptions}. */
export const DEFAULT_REDIS_OPTIONS: RedisOptions = {
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: false,
};

/**
 * Checks the store's options and fills in the defaults.
 * @param options - As given.
 * @returns The resolved options.
 * @throws {@link ConfigError} naming the first invalid option.
 */
export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  const prefix = options.keyPrefix ?? 'token-auth:';
  if (typeof prefix !== 'string') throw new ConfigError('keyPrefix must be a string');
  return {
    prefix,
    gcGraceMs: millisecondsOption('gcGraceMs', options.gcGraceMs, 60_000),
    maxHistoryEntries: integerOption(
      'maxHistoryEntries',
      options.maxHistoryEntries,
      1000,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}

/**
 * Checks the connection given to {@link createRedisStore}: a `redis:` or `rediss:` URL, or
 * an object of ioredis options.
 * @param connection - As given.
 * @returns It, checked.
 * @throws {@link ConfigError} when it is neither (the message never repeats the URL, which
 *   may hold a password).
 */
export function checkConnection(connection: unknown): string | RedisOptions {
  if (typeof connection === 'object' && connection !== null) return connection as RedisOptions;
  if (typeof connection !== 'string') {
    throw new ConfigError('The Redis connection must be a redis:// URL or ioredis options');
  }
  let protocol: string;
  try {
    protocol = new URL(connection).protocol;
  } catch {
    // No cause: Node's URL error carries the input, password included.
    throw new ConfigError('The Redis URL is not a valid URL');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new ConfigError(`The Redis URL must start with redis:// or rediss://, not ${protocol}//`);
  }
  return connection;
}
