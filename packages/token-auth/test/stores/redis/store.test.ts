import { describe, expect, it } from 'vitest';
import { EmailTakenError, StoreError } from '../../../src/errors.js';
import { newUser, settingsChange } from '../../../src/testing/index.js';
import { useRedis } from './use-redis.js';

const redis = useRedis();

describe('RedisStore users', () => {
  it('lets exactly one of concurrent registrations of one email over separate connections succeed', async () => {
    const first = redis.open();
    const stores = [first, redis.open({ keyPrefix: first.prefix }), redis.open({ keyPrefix: first.prefix })];

    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % stores.length]?.createUser(newUser('same@example.com')),
      ),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.every((result) => result.status === 'fulfilled' || result.reason instanceof EmailTakenError),
    ).toBe(true);
  });

  it('moves the email claim when a user changes email', async () => {
    const store = redis.open();
    const user = await store.createUser(newUser('old@example.com'));

    await store.updateUser(user.id, { email: 'new@example.com', emailKey: 'new@example.com' });

    expect(await redis.keys(`${store.prefix}email:`)).toEqual([`${store.prefix}email:new@example.com`]);
    expect((await store.getUserByEmailKey('new@example.com'))?.id).toBe(user.id);
  });

  it('keeps two stores with different key prefixes apart on one database', async () => {
    const first = redis.open();
    const second = redis.open();
    await first.createUser(newUser('shared@example.com'));

    expect(await second.getUserByEmailKey('shared@example.com')).toBeUndefined();
    await expect(second.createUser(newUser('shared@example.com'))).resolves.toMatchObject({ id: 1 });
  });

  it('rejects a user record it cannot parse, naming the field, rather than answering not found', async () => {
    const store = redis.open();
    const user = await store.createUser(newUser('corrupt@example.com'));
    await redis.admin.hset(`${store.prefix}user:${user.id}`, 'isActive', 'maybe');

    await expect(store.getUserById(user.id)).rejects.toThrow(/isActive/);
  });

  it('rejects an email claim pointing to no user rather than answering not found', async () => {
    const store = redis.open();
    await redis.admin.set(`${store.prefix}email:ghost@example.com`, '42');

    await expect(store.getUserByEmailKey('ghost@example.com')).rejects.toThrow(/missing user/);
  });

  it('lets a Redis error through as it is, for the core to wrap once', async () => {
    const store = redis.open();
    await redis.admin.set(`${store.prefix}settings`, 'not a hash');

    const error = await store.getSettings().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/WRONGTYPE/);
  });
});

describe('RedisStore settings', () => {
  it('keeps the newest history entries up to maxHistoryEntries', async () => {
    const store = redis.open({ maxHistoryEntries: 2 });
    const changes = [30, 60, 90].map((value, i) =>
      settingsChange('accessTokenTtlSeconds', value - 30, value, i, 1),
    );

    await store.updateSettings({ accessTokenTtlSeconds: 90 }, changes);

    expect(await store.listSettingsHistory(10)).toEqual([changes[2], changes[1]]);
    expect(await store.getSettings()).toEqual({ accessTokenTtlSeconds: 90 });
  });

  it('rejects a history entry it cannot parse rather than leaving it out', async () => {
    const store = redis.open();
    await redis.admin.lpush(`${store.prefix}settings:history`, '{"key":"nope"}');

    await expect(store.listSettingsHistory(10)).rejects.toThrow(/history entry/);
  });
});

describe('RedisStore hit counters', () => {
  it('gives a counter a TTL of its window plus the grace', async () => {
    const store = redis.open({ gcGraceMs: 1_000 });
    const before = Date.now();
    await store.hit('login:a@example.com', 900_000, 5_000);
    const after = Date.now();

    const expiry = Number(await redis.admin.call('PEXPIRETIME', `${store.prefix}hits:login:a@example.com`));

    expect(expiry).toBeGreaterThanOrEqual(before + 901_000);
    expect(expiry).toBeLessThanOrEqual(after + 901_000);
  });

  it('accepts a fractional window and grace', async () => {
    const store = redis.open({ gcGraceMs: 0.5 });

    await expect(store.hit('fractional', 1_000.25, 5_000)).resolves.toEqual({ count: 1, resetAt: 6_000.25 });
  });
});
