import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EmailTakenError, StoreError } from '../../src/errors.js';
import { createRedisStore, RedisStore } from '../../src/redis.js';
import type { RefreshTokenRecord } from '../../src/stores/port.js';
import { runStoreConformanceSuite } from '../../src/testing.js';
import { freePort, type RedisServerHandle, startRedisServer } from '../helpers/redis-server.js';
import { storedUser } from './fixtures.js';

let server: RedisServerHandle;
let admin: Redis;
let prefixes = 0;
const opened: RedisStore[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url(), { lazyConnect: false });
});

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await admin?.quit();
  await server?.stop();
});

/** A store on the shared server with a key prefix of its own. */
function openStore(options: ConstructorParameters<typeof RedisStore>[1] = {}): RedisStore {
  const store = new RedisStore(server.url(), { keyPrefix: `t${++prefixes}:`, ...options });
  opened.push(store);
  return store;
}

/** Whether the client with this id is blocked on the server (flag `b`, as by CLIENT PAUSE). */
async function clientBlocked(clientId: unknown): Promise<boolean> {
  const line = String(await admin.client('LIST', 'ID', String(clientId)));
  return /\bflags=\S*b/.test(line);
}

/** Polls `check` until it holds (a readiness wait on the server, not a timing assertion). */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 2 s');
}

function keysOf(prefix: string): Promise<string[]> {
  return admin.keys(`${prefix}*`);
}

interface RedisFixture {
  store: RedisStore;
  prefix: string;
}

runStoreConformanceSuite<RedisFixture>(
  'RedisStore',
  {
    create() {
      const prefix = `conformance-${++prefixes}:`;
      return { store: new RedisStore(server.url(), { keyPrefix: prefix }), prefix };
    },
    reopen: ({ prefix }) => new RedisStore(server.url(), { keyPrefix: prefix }),
    destroy: async ({ prefix }) => {
      const keys = await keysOf(prefix);
      if (keys.length > 0) await admin.del(...keys);
    },
    // Redis expires keys by its own clock, which a test cannot advance: count the keys that
    // will still exist at the suite's `now` (a key without TTL always; one with a TTL until
    // wall clock + PTTL, the suite's clock being near the wall clock).
    countRecords: async ({ prefix }, now) => {
      const keys = await keysOf(prefix);
      const ttls = await Promise.all(keys.map((key) => admin.pttl(key)));
      const wallNow = Date.now();
      return ttls.filter((ttl) => ttl === -1 || wallNow + ttl > now).length;
    },
    // A client that was disconnected on purpose rejects every later command.
    breakBackend: ({ store }) => store.client.disconnect(),
  },
  { describe, it },
);

const user = storedUser;

const token = (tokenHash: string, fields: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  tokenHash,
  userId: 1,
  familyId: 'family-1',
  createdAt: 1_000,
  expiresAt: 61_000,
  rotatedAt: null,
  ...fields,
});

describe('RedisStore', () => {
  it('decides token validity by the caller clock even when it is far from the Redis clock', async () => {
    const store = openStore();
    await store.createRefreshToken(token('old-clock', { createdAt: 1_000, expiresAt: 2_000 }));

    const result = await store.consumeRefreshToken('old-clock', 1_500);

    expect(result.status).toBe('consumed');
  });

  it('gives a refresh token key a TTL of its lifetime plus the grace period', async () => {
    const store = openStore({ keyPrefix: 'ttl-token:', gcGraceMs: 5_000 });
    await store.createRefreshToken(token('ttl', { createdAt: 1_000, expiresAt: 61_000 }));

    const ttl = await admin.pttl('ttl-token:rt:ttl');

    // 60 s of lifetime plus 5 s of grace, less the few milliseconds since it was written.
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(65_000);
  });

  it('gives the family head and the user sets the TTL of their longest-lived token', async () => {
    const store = openStore({ keyPrefix: 'ttl-index:', gcGraceMs: 0 });
    await store.createRefreshToken(token('long', { expiresAt: 1_000 + 600_000 }));
    await store.createRefreshToken(token('short', { expiresAt: 1_000 + 10_000 }));

    const ttls = await Promise.all(
      ['rt-head:family-1', 'rt-user:1', 'rt-families:1'].map((key) => admin.pttl(`ttl-index:${key}`)),
    );

    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
  });

  it('keeps a token at least as long as the older tokens of its family when the lifetime shrinks', async () => {
    const store = openStore({ keyPrefix: 'ttl-chain:', gcGraceMs: 0 });
    await store.createRefreshToken(token('before', { createdAt: 1_000, expiresAt: 1_000 + 600_000 }));
    await store.consumeRefreshToken('before', 2_000);
    await store.createRefreshToken(token('after', { createdAt: 2_000, expiresAt: 2_000 + 10_000 }));

    // Absolute expiry times (ms), so that the two reads compare without drift.
    const older = Number(await admin.call('PEXPIRETIME', 'ttl-chain:rt:before'));
    const newer = Number(await admin.call('PEXPIRETIME', 'ttl-chain:rt:after'));
    const newerTtl = await admin.pttl('ttl-chain:rt:after');

    // Its own lifetime is 10 s: without the family's TTL, GC would cut the chain to 'before'.
    expect(newerTtl).toBeGreaterThan(590_000);
    expect(newer).toBeGreaterThanOrEqual(older);
  });

  it('keeps the index sets and per-refresh work constant over 500 rotations of one session', async () => {
    const store = openStore({ keyPrefix: 'rotations:' });
    const rotations = 500;
    await store.createRefreshToken(token('r0', { createdAt: 1_000, expiresAt: 1_000 + 86_400_000 }));
    const sizes: number[][] = [];
    for (let i = 1; i <= rotations; i++) {
      const now = 1_000 + i * 30_000;
      expect((await store.consumeRefreshToken(`r${i - 1}`, now)).status).toBe('consumed');
      await store.createRefreshToken(token(`r${i}`, { createdAt: now, expiresAt: now + 86_400_000 }));
      if (i % 100 === 0) {
        sizes.push(
          await Promise.all([
            admin.scard('rotations:rt-user:1'),
            admin.scard('rotations:rt-families:1'),
            admin.hlen('rotations:rt-head:family-1'),
            admin.hlen(`rotations:rt:r${i}`),
          ]),
        );
      }
    }

    // One current token, one family, a two-field head and a fixed-size token record, every time.
    expect(sizes).toEqual(Array.from({ length: rotations / 100 }, () => [1, 1, 2, 7]));
    expect(await admin.exists('rotations:rt-family:family-1')).toBe(0);
    expect(await store.listUserRefreshTokens(1, 1_000 + rotations * 30_000)).toHaveLength(1);
  });

  it('revokes every rotated token of a long session by walking its chain', async () => {
    const store = openStore({ keyPrefix: 'walk:' });
    for (let i = 0; i < 50; i++) {
      if (i > 0) await store.consumeRefreshToken(`w${i - 1}`, 2_000 + i);
      await store.createRefreshToken(token(`w${i}`, { createdAt: 2_000 + i }));
    }

    const deleted = await store.deleteRefreshTokenFamily('family-1');

    expect(deleted).toBe(50);
    expect(await store.consumeRefreshToken('w0', 3_000)).toEqual({ status: 'missing' });
    expect(await store.consumeRefreshToken('w25', 3_000)).toEqual({ status: 'missing' });
    expect((await keysOf('walk:')).sort()).toEqual(['walk:seq']);
  });

  it('keeps the older tokens of a family reachable after a token in the middle is deleted', async () => {
    const store = openStore({ keyPrefix: 'tombstone:' });
    await store.createRefreshToken(token('first'));
    await store.consumeRefreshToken('first', 2_000);
    await store.createRefreshToken(token('middle', { createdAt: 2_000 }));
    await store.consumeRefreshToken('middle', 3_000);
    await store.createRefreshToken(token('last', { createdAt: 3_000 }));

    expect(await store.deleteRefreshToken('middle')).toMatchObject({ tokenHash: 'middle', rotatedAt: 3_000 });
    expect(await store.consumeRefreshToken('middle', 4_000)).toEqual({ status: 'missing' });
    const deleted = await store.deleteUserRefreshTokens(1);

    expect(deleted).toBe(2);
    expect(await store.consumeRefreshToken('first', 4_000)).toEqual({ status: 'missing' });
    expect((await keysOf('tombstone:')).sort()).toEqual(['tombstone:seq']);
  });

  it('refuses a token whose family belongs to another user', async () => {
    const store = openStore();
    await store.createRefreshToken(token('mine', { userId: 1 }));

    await expect(store.createRefreshToken(token('theirs', { userId: 2 }))).rejects.toThrow(/family-1/);
  });

  it('still revokes the tokens a family set of version 0.1.0 indexes', async () => {
    const store = openStore({ keyPrefix: 'legacy:' });
    const fields = { userId: '1', familyId: 'family-1', createdAt: '1000', expiresAt: '61000', seq: '1' };
    await admin.hset('legacy:rt:old-rotated', { ...fields, rotatedAt: '1500' });
    await admin.hset('legacy:rt:old-current', { ...fields, rotatedAt: '' });
    await admin.sadd('legacy:rt-family:family-1', 'old-rotated', 'old-current');
    await admin.sadd('legacy:rt-user:1', 'old-rotated', 'old-current');
    await store.consumeRefreshToken('old-current', 2_000);
    await store.createRefreshToken(token('new', { createdAt: 2_000 }));

    const deleted = await store.deleteRefreshTokenFamily('family-1');

    expect(deleted).toBe(3);
    expect(await store.consumeRefreshToken('old-rotated', 3_000)).toEqual({ status: 'missing' });
    expect((await keysOf('legacy:')).sort()).toEqual(['legacy:seq']);
  });

  it('gives a hit counter a TTL of its window plus the grace period', async () => {
    const store = openStore({ keyPrefix: 'ttl-hits:', gcGraceMs: 1_000 });
    await store.hit('login:a@example.com', 900_000, 5_000);

    const ttl = await admin.pttl('ttl-hits:hits:login:a@example.com');

    // A 900 s window plus 1 s of grace, less the few milliseconds since it was written.
    expect(ttl).toBeGreaterThan(900_000);
    expect(ttl).toBeLessThanOrEqual(901_000);
  });

  it('leaves no token or index key behind once a family is revoked', async () => {
    const store = openStore({ keyPrefix: 'no-leftovers:' });
    await store.createRefreshToken(token('a'));
    await store.createRefreshToken(token('b'));

    await store.deleteRefreshTokenFamily('family-1');

    expect((await keysOf('no-leftovers:')).sort()).toEqual(['no-leftovers:seq']);
  });

  it('prunes index entries whose token Redis already expired when listing', async () => {
    const store = openStore({ keyPrefix: 'prune:' });
    await store.createRefreshToken(token('kept'));
    await store.createRefreshToken(token('gone'));
    await admin.del('prune:rt:gone'); // what native expiry does

    const listed = await store.listUserRefreshTokens(1, 2_000);

    expect(listed.map((record) => record.tokenHash)).toEqual(['kept']);
    expect(await admin.smembers('prune:rt-user:1')).toEqual(['kept']);
  });

  it('lets exactly one of concurrent consumes over separate connections succeed', async () => {
    const prefix = `race-consume-${++prefixes}:`;
    const stores = [
      openStore({ keyPrefix: prefix }),
      openStore({ keyPrefix: prefix }),
      openStore({ keyPrefix: prefix }),
    ];
    await stores[0]?.createRefreshToken(token('contested'));

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % stores.length]?.consumeRefreshToken('contested', 2_000),
      ),
    );

    expect(results.filter((result) => result?.status === 'consumed')).toHaveLength(1);
    expect(results.filter((result) => result?.status === 'reused')).toHaveLength(29);
  });

  it('lets exactly one of concurrent registrations of one email over separate connections succeed', async () => {
    const prefix = `race-email-${++prefixes}:`;
    const stores = [
      openStore({ keyPrefix: prefix }),
      openStore({ keyPrefix: prefix }),
      openStore({ keyPrefix: prefix }),
    ];

    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % stores.length]?.createUser(user(i % 2 ? 'Same@Example.com' : 'same@example.com')),
      ),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejections = results.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    expect(rejections.every((result) => result.reason instanceof EmailTakenError)).toBe(true);
  });

  it('keeps working after Redis forgot its scripts', async () => {
    const store = openStore();
    await store.createRefreshToken(token('after-flush'));
    await admin.script('FLUSH');

    const result = await store.consumeRefreshToken('after-flush', 2_000);

    expect(result.status).toBe('consumed');
  });

  it('accepts a fractional window and grace for hit counters', async () => {
    const store = openStore({ gcGraceMs: 0.5 });

    await expect(store.hit('fractional', 1_000.25, 5_000)).resolves.toEqual({ count: 1, resetAt: 6_000.25 });
  });

  it('keeps two stores with different key prefixes apart on one database', async () => {
    const first = openStore();
    const second = openStore();
    await first.createUser(user('shared@example.com'));

    expect(await second.getUserByEmailKey('shared@example.com')).toBeUndefined();
    await expect(second.createUser(user('shared@example.com'))).resolves.toMatchObject({ id: 1 });
  });

  it('reports a user record it cannot parse as a StoreError, not as a missing user', async () => {
    const store = openStore({ keyPrefix: 'corrupt:' });
    const created = await store.createUser(user('corrupt@example.com'));
    await admin.hset(`corrupt:user:${created.id}`, 'isActive', 'maybe');

    await expect(store.getUserById(created.id)).rejects.toBeInstanceOf(StoreError);
  });

  it('reports a Redis error as a StoreError that keeps the cause', async () => {
    const store = openStore({ keyPrefix: 'wrongtype:' });
    await admin.set('wrongtype:settings', 'not a hash');

    const error = await store.getSettings().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).cause).toBeInstanceOf(Error);
  });

  it('refuses an ioredis client that sets its own keyPrefix', () => {
    const client = new Redis(server.url(), { keyPrefix: 'x:', lazyConnect: true });

    expect(() => new RedisStore(client)).toThrow(/keyPrefix/);
    client.disconnect();
  });

  it('creates its client without resending commands after a reconnection', () => {
    const store = new RedisStore(server.url(), { redisOptions: { lazyConnect: true } });

    expect(store.client.options.autoResendUnfulfilledCommands).toBe(false);
    expect(store.client.options.enableAutoPipelining).toBe(false);
    store.client.disconnect();
  });

  it('fails a refresh whose connection dropped before the reply and does not apply it again', async () => {
    const store = openStore();
    await store.createRefreshToken(token('in-flight'));
    const clientId = await store.client.client('ID');
    // Hold writes on the server so that the script is still unanswered when its connection dies.
    await admin.client('PAUSE', 10_000, 'WRITE');
    const first = store.consumeRefreshToken('in-flight', 2_000).catch((caught: unknown) => caught);
    await waitUntil(async () => (await clientBlocked(clientId)) === true);
    await admin.client('KILL', 'ID', String(clientId));
    await admin.client('UNPAUSE');

    const error = await first;
    const retried = await store.consumeRefreshToken('in-flight', 2_000);

    expect(error).toBeInstanceOf(StoreError);
    // ioredis's default would have sent the script again after reconnecting: 'reused' here.
    expect(retried.status).toBe('consumed');
  });

  it('refuses an ioredis client that auto-pipelines without resending commands', () => {
    const client = new Redis(server.url(), {
      enableAutoPipelining: true,
      autoResendUnfulfilledCommands: false,
      lazyConnect: true,
    });

    expect(() => new RedisStore(client)).toThrow(/enableAutoPipelining/);
    client.disconnect();
  });

  it('refuses a negative gcGraceMs, naming the option', () => {
    expect(
      () => new RedisStore(server.url(), { gcGraceMs: -1, redisOptions: { lazyConnect: true } }),
    ).toThrow(/gcGraceMs/);
  });

  it('quits the client on close and rejects later calls with a StoreError', async () => {
    const store = new RedisStore(server.url(), { keyPrefix: 'closed:' });
    await store.ping();

    await store.close();

    expect(store.client.status).toBe('end');
    await expect(store.getUserById(1)).rejects.toBeInstanceOf(StoreError);
  });
});

describe('createRedisStore', () => {
  it('returns a store that answers once Redis is reachable', async () => {
    const store = await createRedisStore(server.url(3), { keyPrefix: 'factory:' });
    opened.push(store);

    await expect(store.createUser(user('factory@example.com'))).resolves.toMatchObject({ id: 1 });
    const db3 = new Redis(server.url(3));
    expect(await db3.exists('factory:email:factory@example.com')).toBe(1);
    expect(await admin.exists('factory:email:factory@example.com')).toBe(0);
    await db3.quit();
  });

  it('rejects a URL that is not redis:// with a ConfigError naming the scheme it got', async () => {
    const attempt = createRedisStore('sqlite://auth.db');
    await expect(attempt).rejects.toThrow(/redis:\/\/.*sqlite:\/\//);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
  });

  it('rejects invalid options with a ConfigError naming them', () => {
    expect(() => new RedisStore('redis://127.0.0.1:1/0', { maxHistoryEntries: 0 })).toThrow(ConfigError);
    expect(() => new RedisStore('redis://127.0.0.1:1/0', { gcGraceMs: -1 })).toThrow(/gcGraceMs/);
  });

  it('fails with a StoreError when nothing listens at the URL', async () => {
    const port = await freePort();

    await expect(createRedisStore(`redis://127.0.0.1:${port}/0`)).rejects.toBeInstanceOf(StoreError);
  });
});

describe('RedisStore when the server dies', () => {
  it('surfaces a killed connection as a StoreError instead of not found', async () => {
    const doomed = await startRedisServer();
    const store = await createRedisStore(doomed.url());
    try {
      const created = await store.createUser(user('doomed@example.com'));
      await doomed.kill();

      const error = await store.getUserById(created.id).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).cause).toBeInstanceOf(Error);
    } finally {
      await store.close();
      await doomed.stop();
    }
  });
});
