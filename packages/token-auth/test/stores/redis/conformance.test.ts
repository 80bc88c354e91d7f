import { describe, it } from 'vitest';
import type { RedisStore } from '../../../src/stores/redis/store.js';
import { runStoreConformanceSuite } from '../../../src/testing/index.js';
import { useRedis } from './use-redis.js';

const redis = useRedis();

runStoreConformanceSuite<{ store: RedisStore; prefix: string }>(
  'RedisStore',
  {
    create() {
      const store = redis.open();
      return { store, prefix: store.prefix };
    },
    reopen: ({ prefix }) => redis.open({ keyPrefix: prefix }),
    async destroy({ prefix }) {
      const keys = await redis.keys(prefix);
      if (keys.length > 0) await redis.admin.del(...keys);
    },
    // Redis expires keys by its own clock, which a test cannot move: count the keys that will
    // still exist at the suite's `now`, taking the wall clock as the time they were written
    // (the suite's clock starts there). The exact TTLs are pinned by sessions.test.ts.
    async countRecords({ prefix }, now) {
      const keys = await redis.keys(prefix);
      const ttls = await Promise.all(keys.map((key) => redis.admin.pttl(key)));
      const wallNow = Date.now();
      return ttls.filter((ttl) => ttl === -1 || wallNow + ttl > now).length;
    },
    // A client disconnected on purpose rejects every later command.
    breakBackend: ({ store }) => store.client.disconnect(),
  },
  { describe, it },
);
