/**
 * The Redis store tests' shared setup: one throwaway redis-server per test file, an admin
 * connection to inspect keys, and stores with a key prefix of their own, all closed after.
 */

import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_REDIS_OPTIONS, type RedisStoreOptions } from '../../../src/stores/redis/options.js';
import { RedisStore } from '../../../src/stores/redis/store.js';
import { type RedisServerHandle, startRedisServer } from '../../helpers/redis-server.js';

/** What {@link useRedis} gives a test file. */
export interface RedisTestBed {
  /** The server (started before the file's tests). */
  readonly server: RedisServerHandle;
  /** A plain connection to database 0, for inspecting and tampering with keys. */
  readonly admin: Redis;
  /** A client as `createRedisStore` builds it, closed after the file. */
  client(): Redis;
  /** A store on database 0 with a fresh key prefix (unless given), closed after the file. */
  open(options?: RedisStoreOptions): RedisStore & { prefix: string };
  /** The keys under `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;
}

/** Registers the hooks that start and stop one redis-server for the calling test file. */
export function useRedis(): RedisTestBed {
  let server: RedisServerHandle | undefined;
  let admin: Redis | undefined;
  let prefixes = 0;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url());
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    admin?.disconnect();
    await server?.stop();
  });
  const bed: RedisTestBed = {
    get server() {
      if (!server) throw new Error('redis-server is not started yet');
      return server;
    },
    get admin() {
      if (!admin) throw new Error('redis-server is not started yet');
      return admin;
    },
    client() {
      const client = new Redis(bed.server.url(), DEFAULT_REDIS_OPTIONS);
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    open(options = {}) {
      const prefix = options.keyPrefix ?? `t${++prefixes}:`;
      return Object.assign(new RedisStore(bed.client(), { ...options, keyPrefix: prefix }), { prefix });
    },
    async keys(prefix) {
      return (await bed.admin.keys(`${prefix}*`)).sort();
    },
  };
  return bed;
}
