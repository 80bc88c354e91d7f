import { describe, expect, it } from 'vitest';
import type { RedisStore } from '../../../src/stores/redis/store.js';
import { DAY_MS, MINUTE_MS, newHead, newSession, storedSession } from '../../../src/testing/index.js';
import { useRedis } from './use-redis.js';

const redis = useRedis();

// Far from Redis's clock on purpose: validity must follow the times passed in.
const T0 = 1_000_000;

/** A store with one session of user 1 started at T0, rotated `rotations` times a minute apart, each head living a day. */
async function sessionWith(rotations: number) {
  const store = redis.open();
  const started = newSession({ userId: 1, createdAt: T0, expiresAt: T0 + DAY_MS });
  await store.startSession(started);
  const hashes = [started.headHash];
  let session = storedSession(started);
  for (let i = 1; i <= rotations; i++) {
    const now = T0 + i * MINUTE_MS;
    const result = await store.rotate(session.headHash, newHead(now + DAY_MS), now);
    if (result.status !== 'rotated') throw new Error(`rotation ${i} answered ${result.status}`);
    session = result.session;
    hashes.push(session.headHash);
  }
  return { store, session, hashes };
}

/** Absolute expiry (Redis's clock, ms) of a key of `store`. */
async function expiryOf(store: RedisStore & { prefix: string }, key: string): Promise<number> {
  return Number(await redis.admin.call('PEXPIRETIME', store.prefix + key));
}

/** Runs `write` and returns the wall-clock bounds within which Redis ran it. */
async function timed(write: () => Promise<unknown>): Promise<{ before: number; after: number }> {
  const before = Date.now();
  await write();
  return { before, after: Date.now() };
}

describe('RedisStore sessions across connections', () => {
  it('lets exactly one of concurrent rotations over separate connections win; the others see parent', async () => {
    const { store, session } = await sessionWith(0);
    const stores = [store, redis.open({ keyPrefix: store.prefix }), redis.open({ keyPrefix: store.prefix })];

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % stores.length]?.rotate(session.headHash, newHead(T0 + DAY_MS), T0 + 1),
      ),
    );

    expect(results.filter((result) => result?.status === 'rotated')).toHaveLength(1);
    expect(results.filter((result) => result?.status === 'parent')).toHaveLength(29);
  });
});

describe('RedisStore session keys', () => {
  it('gives the session, its head token and the user index a TTL of its lifetime plus the grace', async () => {
    const store = redis.open({ gcGraceMs: 5_000 });
    const session = newSession({ userId: 1, createdAt: T0, expiresAt: T0 + 60_000 });

    const { before, after } = await timed(() => store.startSession(session));

    for (const key of [`session:${session.id}`, `token:${session.headHash}`, 'user-sessions:1']) {
      const expiry = await expiryOf(store, key);
      expect(expiry).toBeGreaterThanOrEqual(before + 65_000);
      expect(expiry).toBeLessThanOrEqual(after + 65_000);
    }
  });

  it('keeps a rotated token until its own expiry and gives the new head and the session the new one', async () => {
    const { store, session } = await sessionWith(0);
    const consumedExpiry = await expiryOf(store, `token:${session.headHash}`);
    const next = newHead(T0 + 2 * MINUTE_MS + 10_000); // far shorter than the consumed token's day

    const { before, after } = await timed(() => store.rotate(session.headHash, next, T0 + 2 * MINUTE_MS));

    expect(await expiryOf(store, `token:${session.headHash}`)).toBe(consumedExpiry);
    for (const key of [`token:${next.hash}`, `session:${session.id}`]) {
      const expiry = await expiryOf(store, key);
      expect(expiry).toBeGreaterThanOrEqual(before + 10_000 + 60_000);
      expect(expiry).toBeLessThanOrEqual(after + 10_000 + 60_000);
    }
  });

  it('keeps the user index as long as its longest-lived session', async () => {
    const store = redis.open({ gcGraceMs: 0 });
    const { before } = await timed(() =>
      store.startSession(newSession({ userId: 1, createdAt: T0, expiresAt: T0 + 600_000 })),
    );
    await store.startSession(newSession({ userId: 1, createdAt: T0, expiresAt: T0 + 10_000 }));

    expect(await expiryOf(store, 'user-sessions:1')).toBeGreaterThanOrEqual(before + 600_000);
  });

  it('keeps one index entry, a fixed-size record and constant work per rotation over 500 rotations', async () => {
    const { store, session } = await sessionWith(0);
    const commandsOf = async (rotation: () => Promise<unknown>) => {
      await redis.admin.config('RESETSTAT');
      await rotation();
      const stats = String(await redis.admin.info('commandstats'));
      // Every command but the INFO reading them, the scripts' inner calls included.
      return [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
        .filter(([, name]) => name !== 'info')
        .reduce((sum, [, , calls]) => sum + Number(calls), 0);
    };
    let head = session.headHash;
    const rotateOnce = async (i: number) => {
      // Each lifetime 1 ms longer than the last, so every rotation extends the user index.
      const next = newHead(T0 + i * MINUTE_MS + DAY_MS + i);
      await store.rotate(head, next, T0 + i * MINUTE_MS);
      head = next.hash;
    };

    const first = await commandsOf(() => rotateOnce(1));
    for (let i = 2; i < 500; i++) await rotateOnce(i);
    const last = await commandsOf(() => rotateOnce(500));

    expect(last).toBe(first);
    expect(await redis.admin.zcard(`${store.prefix}user-sessions:1`)).toBe(1);
    expect(await redis.admin.hlen(`${store.prefix}session:${session.id}`)).toBe(8);
    expect(await store.listSessions(1, T0 + 500 * MINUTE_MS)).toHaveLength(1);
  });

  it('ends a session by deleting its record, its head’s key and its index entry', async () => {
    const { store, session, hashes } = await sessionWith(2);

    await store.endSession(1, session.id);

    // Only the rotated tokens' keys stay, until their own expiry; they answer unknown.
    const rotated = hashes.slice(0, -1).map((hash) => `${store.prefix}token:${hash}`);
    expect(await redis.keys(store.prefix)).toEqual(rotated.sort());
  });

  it('prunes index entries whose session Redis already dropped, when listing', async () => {
    const store = redis.open();
    const [kept, gone] = [
      newSession({ userId: 1, createdAt: T0 }),
      newSession({ userId: 1, createdAt: T0 + 1 }),
    ];
    await store.startSession(kept);
    await store.startSession(gone);
    await redis.admin.del(`${store.prefix}session:${gone.id}`); // what native expiry does

    expect(await store.listSessions(1, T0)).toEqual([storedSession(kept)]);
    expect(await redis.admin.zrange(`${store.prefix}user-sessions:1`, 0, -1)).toEqual([kept.id]);
  });

  it('prunes index entries whose session Redis already dropped, at the next login', async () => {
    const store = redis.open();
    const [gone, next] = [
      newSession({ userId: 1, createdAt: T0 }),
      newSession({ userId: 1, createdAt: T0 + 1 }),
    ];
    await store.startSession(gone);
    await redis.admin.del(`${store.prefix}session:${gone.id}`);

    await store.startSession(next);

    expect(await redis.admin.zrange(`${store.prefix}user-sessions:1`, 0, -1)).toEqual([next.id]);
  });

  it('keeps working after Redis forgot its scripts', async () => {
    const { store, session } = await sessionWith(0);
    await redis.admin.script('FLUSH');

    const result = await store.rotate(session.headHash, newHead(T0 + DAY_MS), T0 + 1);

    expect(result.status).toBe('rotated');
  });
});
