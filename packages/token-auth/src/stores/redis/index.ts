/**
 * The Redis store (`token-auth/redis`): one Redis server shared by every process of a
 * deployment, each store operation atomic across all of them. Needs the optional peer
 * dependency `ioredis` (^5).
 *
 * @example
 * ```ts
 * import { createTokenAuth } from 'token-auth';
 * import { createRedisStore } from 'token-auth/redis';
 *
 * const store = await createRedisStore('redis://127.0.0.1:6379/0');
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 *
 * @module token-auth/redis
 */

export { createRedisStore } from './create-redis-store.js';
export type { CreateRedisStoreOptions, RedisStoreOptions } from './options.js';
export { RedisStore } from './store.js';
