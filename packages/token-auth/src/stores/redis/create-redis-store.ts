/**
 * The factory of the Redis store: loads ioredis, connects, checks that Redis answers.
 *
 * @module
 */

import type { RedisOptions } from 'ioredis';
import { loadPeer } from '../../lib/load-peer.js';
import {
  type CreateRedisStoreOptions,
  checkConnection,
  DEFAULT_REDIS_OPTIONS,
  resolveRedisStoreOptions,
} from './options.js';
import { RedisStore } from './store.js';

/**
 * Creates a {@link RedisStore} with a client of its own and waits until Redis answers, so
 * that a server fails at startup rather than on its first request.
 *
 * @param connection - `redis://[[user]:password@]host[:port][/db]` (`rediss://` for TLS), or
 *   ioredis options (for example with `sentinels`).
 * @param options - Key prefix, garbage-collection grace, history cap, ioredis options (see
 *   {@link CreateRedisStoreOptions.redisOptions} for the defaults the store sets).
 * @returns The connected store.
 * @throws {@link "token-auth"!ConfigError} when the URL or an option is invalid, or when `ioredis` is not
 *   installed; Redis's own error when it cannot be reached (the client is closed again).
 * @example
 * ```ts
 * import { createTokenAuth } from 'token-auth';
 * import { createRedisStore } from 'token-auth/redis';
 *
 * const store = await createRedisStore('redis://127.0.0.1:6379/0', { keyPrefix: 'myapp:auth:' });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 */
export async function createRedisStore(
  connection: string | RedisOptions,
  options: CreateRedisStoreOptions = {},
): Promise<RedisStore> {
  const target = checkConnection(connection);
  resolveRedisStoreOptions(options); // fail on a bad option before connecting
  const { Redis } = await loadPeer<typeof import('ioredis')>('ioredis', 'token-auth/redis');
  const clientOptions = { ...DEFAULT_REDIS_OPTIONS, ...options.redisOptions };
  const client =
    typeof target === 'string'
      ? new Redis(target, clientOptions)
      : new Redis({ ...clientOptions, ...target });
  // Failures reach callers through their rejected calls; the event would only be noise.
  client.on('error', () => {});
  let store: RedisStore;
  try {
    store = new RedisStore(client, options);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  // The connection's own error (say ECONNREFUSED) says more than the lost PING.
  let unreachable: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    unreachable = reject;
  });
  client.once('error', unreachable);
  try {
    await Promise.race([store.ping(), failed]);
  } catch (error) {
    await store.close();
    throw error;
  } finally {
    client.off('error', unreachable);
  }
  return store;
}
