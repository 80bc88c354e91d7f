import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.js';
import { KeyvStore } from '../../src/stores/keyv.js';
import type { RefreshTokenRecord } from '../../src/stores/port.js';
import { runStoreConformanceSuite } from '../../src/testing.js';
import { BackendDown, FailingAdapter, RecordingAdapter, storedUser } from './fixtures.js';

runStoreConformanceSuite(
  'KeyvStore over a Map',
  {
    create: () => ({ store: new KeyvStore(new Keyv()) }),
    countRecords: async ({ store }, now) => {
      await store.sweep(now);
      return [...(store.keyv.store as Map<string, unknown>).keys()].filter((key) =>
        key.includes(store.keyPrefix),
      ).length;
    },
    breakBackend: ({ store }) => {
      const down = new FailingAdapter();
      down.broken = true;
      store.keyv.store = down;
    },
  },
  { describe, it },
);

const user = storedUser;

const token = (tokenHash: string, fields: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  tokenHash,
  userId: 1,
  familyId: 'f1',
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  rotatedAt: null,
  ...fields,
});

describe('KeyvStore', () => {
  it('reports a backend failure on read as a StoreError with the backend error as cause', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter, { userCacheSize: 0 });
    const created = await store.createUser(user('ada@example.com'));
    adapter.broken = true;
    const failure = await store.getUserById(created.id).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).cause).toBeInstanceOf(BackendDown);
  });

  it('reports a backend failure while consuming a token as a StoreError, not as missing', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter);
    await store.createRefreshToken(token('a1'));
    adapter.broken = true;
    await expect(store.consumeRefreshToken('a1', Date.now())).rejects.toBeInstanceOf(StoreError);
  });

  it('reports a backend failure on write as a StoreError', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter);
    adapter.broken = true;
    await expect(store.hit('login:ada', 60_000, 0)).rejects.toBeInstanceOf(StoreError);
  });

  it('reports a write the backend refuses as a StoreError', async () => {
    const adapter = new FailingAdapter();
    adapter.set = async () => false;
    const store = new KeyvStore(adapter);
    await expect(store.updateSettings({ accessTokenTtlSeconds: 60 }, [])).rejects.toThrow(/refused a write/);
  });

  it('reports a malformed stored record as a StoreError', async () => {
    const keyv = new Keyv();
    const store = new KeyvStore(keyv);
    await keyv.set('token-auth:user:1', 'not a user');
    await expect(store.getUserById(1)).rejects.toThrow(/malformed/);
  });

  it('switches throwOnErrors on for a Keyv instance it is given', () => {
    const keyv = new Keyv();
    new KeyvStore(keyv);
    expect(keyv.throwOnErrors).toBe(true);
  });

  it('writes a refresh token with a Keyv expiry gcGraceMs past its own', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 30_000 });
    const record = token('a1');
    await store.createRefreshToken(record);
    const raw = await store.keyv.getRaw('token-auth:rt:a1');
    expect(raw?.expires).toBeGreaterThanOrEqual(record.expiresAt + 30_000);
    // Slack for the two clock reads of the store, not a timing assertion.
    expect(raw?.expires).toBeLessThan(record.expiresAt + 35_000);
  });

  it('writes a throttling counter with a Keyv expiry gcGraceMs past the end of its window', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 30_000 });
    const now = Date.now();
    await store.hit('login:ada', 60_000, now);
    const raw = await store.keyv.getRaw('token-auth:hits:login:ada');
    expect(raw?.expires).toBeGreaterThanOrEqual(now + 90_000);
    expect(raw?.expires).toBeLessThan(now + 95_000);
  });

  it('never expires users, email claims, the id counter and settings, even under a Keyv default TTL', async () => {
    const keyv = new Keyv({ ttl: 1_000 });
    const store = new KeyvStore(keyv);
    await store.createUser(user('ada@example.com'));
    await store.updateSettings({ accessTokenTtlSeconds: 60 }, []);
    for (const key of ['user:1', 'email:ada@example.com', 'meta:last-user-id', 'settings']) {
      const raw = await keyv.getRaw(`token-auth:${key}`);
      expect(raw, key).toBeDefined();
      expect(raw?.expires, key).toBeUndefined();
    }
  });

  it('keeps the records of two namespaces on one Keyv apart', async () => {
    const keyv = new Keyv();
    const first = new KeyvStore(keyv, { namespace: 'app-one' });
    const second = new KeyvStore(keyv, { namespace: 'app-two' });
    await first.createUser(user('ada@example.com'));
    expect(await second.getUserByEmailKey('ada@example.com')).toBeUndefined();
    expect((await second.createUser(user('ada@example.com'))).id).toBe(1);
  });

  it('round-trips strings that Keyv serialization treats specially', async () => {
    const store = new KeyvStore(new Keyv());
    const created = await store.createUser({ ...user(':base64:ada@example.com'), username: ':colon' });
    expect(await store.getUserByEmailKey(':base64:ada@example.com')).toEqual(created);
  });

  it('rejects operations after close with a StoreError', async () => {
    const store = new KeyvStore(new Keyv());
    await store.close();
    await expect(store.getSettings()).rejects.toThrow(/closed/);
  });

  it('finishes the operations in flight before close disconnects the backend', async () => {
    const store = new KeyvStore(new Keyv());
    const creating = store.createUser(user('ada@example.com'));
    await store.close();
    await expect(creating).resolves.toMatchObject({ id: 1 });
  });

  it('rejects an empty namespace with a ConfigError naming the option', () => {
    expect(() => new KeyvStore(new Keyv(), { namespace: '' })).toThrow(ConfigError);
    expect(() => new KeyvStore(new Keyv(), { namespace: '' })).toThrow(/namespace/);
  });
});

describe('KeyvStore refresh-token layout', () => {
  const DAY = 86_400_000;
  const T = Math.floor(Date.now() / 1000) * 1000;
  /** Fixed-width hashes, so that records of different rotations serialize to equal sizes. */
  const hash = (i: number) => `h${String(i).padStart(6, '0')}`;

  /** Rotates as the core does: consume the newest, create its successor, check the parent again. */
  async function rotate(store: KeyvStore, i: number, at: number, lifetimeMs = 30 * DAY): Promise<void> {
    await store.consumeRefreshToken(hash(i), at);
    await store.createRefreshToken(token(hash(i + 1), { createdAt: at, expiresAt: at + lifetimeMs }));
    await store.consumeRefreshToken(hash(i), at);
  }

  const raw = (store: KeyvStore, key: string) => store.keyv.get(`token-auth:${key}`);
  const ownKeys = (data: Map<string, unknown>) =>
    [...data.keys()].filter((key) => key.includes('token-auth:'));

  it('links a new token to the family newest and makes it the newest', async () => {
    const store = new KeyvStore(new Keyv());
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + DAY }));
    await rotate(store, 0, T + 1_000);
    expect(await raw(store, `rt:${hash(1)}`)).toMatchObject({
      prev: hash(0),
      keepUntil: T + 1_000 + 30 * DAY,
    });
    expect(await raw(store, 'session:f1')).toMatchObject({ userId: 1, head: hash(1), live: [hash(1)] });
    expect(await raw(store, 'sessions:1')).toEqual([['f1', expect.any(Number)]]);
  });

  it('reads and writes as much for a refresh after a thousand rotations as for the tenth', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(adapter);
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + 30 * DAY }));
    const calls: ReturnType<RecordingAdapter['take']>[] = [];
    for (let i = 0; i < 1_000; i++) {
      adapter.take();
      await rotate(store, i, T + 1_000 + i);
      const { reads, writes } = adapter.take();
      const generic = (key: string) => key.replace(/h\d{6}/, 'h');
      calls.push({
        reads: reads.map(generic),
        writes: writes.map(({ key, bytes }) => ({ key: generic(key), bytes })),
      });
    }
    expect(calls[999]).toEqual(calls[9]);
    // Consume, then the family and the new token, then the parent check: no index, no list.
    expect(calls[999]?.reads).toEqual([
      'keyv:token-auth:rt:h',
      'keyv:token-auth:session:f1',
      'keyv:token-auth:rt:h',
    ]);
    expect(calls[999]?.writes.map(({ key }) => key)).toEqual([
      'keyv:token-auth:rt:h',
      'keyv:token-auth:rt:h',
      'keyv:token-auth:session:f1',
    ]);
  });

  it('rewrites the user index when a family starts, not on each of its refreshes', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(adapter);
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + 30 * DAY }));
    // A refresh every 15 minutes for a day.
    for (let i = 0; i < 96; i++) await rotate(store, i, T + (i + 1) * 900_000);
    const indexWrites = adapter.writes.filter(({ key }) => key.endsWith('token-auth:sessions:1'));
    expect(indexWrites).toHaveLength(1);
  });

  it('leaves a link when a token in the middle of a family is deleted, so that deleting the family reaches older tokens', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter);
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + DAY }));
    await rotate(store, 0, T + 1_000);
    await rotate(store, 1, T + 2_000);
    expect(await store.deleteRefreshToken(hash(1))).toMatchObject({ tokenHash: hash(1) });
    expect(await store.consumeRefreshToken(hash(1), T + 3_000)).toEqual({ status: 'missing' });
    expect(await store.deleteRefreshTokenFamily('f1')).toBe(2);
    expect(await store.consumeRefreshToken(hash(0), T + 3_000)).toEqual({ status: 'missing' });
    expect(ownKeys(adapter.data)).toEqual([]);
  });

  it('ends the family and its index entry when its only token is deleted', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter);
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + DAY }));
    await store.deleteRefreshToken(hash(0));
    expect(ownKeys(adapter.data)).toEqual([]);
  });

  it('never garbage-collects a token before an older one of its family, even after the lifetime was shortened', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 0 });
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + 30 * DAY }));
    await rotate(store, 0, T + 1_000, 3_600_000);
    await store.sweep(T + 2 * 3_600_000);
    expect((await store.consumeRefreshToken(hash(1), T + 2 * 3_600_000)).status).toBe('expired');
    expect(await store.deleteRefreshTokenFamily('f1')).toBe(2);
  });

  it('drops a family, its tokens, their links and the user index once they are kept no longer', async () => {
    // A Map, which Keyv can iterate: the sweep goes through every entry.
    const data = new Map<string, unknown>();
    const store = new KeyvStore(data, { gcGraceMs: 0 });
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + DAY }));
    await rotate(store, 0, T + 1_000, DAY);
    await rotate(store, 1, T + 2_000, DAY);
    await store.deleteRefreshToken(hash(1));
    expect(await store.sweep(T + DAY - 1)).toBe(0);
    expect(await store.sweep(T + 2_000 + 2 * DAY)).toBe(5);
    expect(ownKeys(data)).toEqual([]);
  });

  it('drops from the user index a family that is gone once its bound has passed', async () => {
    const store = new KeyvStore(new Keyv());
    await store.createRefreshToken(token('a', { familyId: 'gone', createdAt: T, expiresAt: T + 60_000 }));
    await store.createRefreshToken(token('b', { familyId: 'kept', createdAt: T, expiresAt: T + 60_000 }));
    await store.keyv.delete('token-auth:session:gone');
    await store.createRefreshToken(
      token('c', { familyId: 'new', createdAt: T + DAY, expiresAt: T + 2 * DAY }),
    );
    const families = (await raw(store, 'sessions:1')).map(([familyId]: [string]) => familyId);
    expect(families).toEqual(['kept', 'new']);
  });

  it('consumes and revokes a token written before family chains existed', async () => {
    const store = new KeyvStore(new Keyv());
    const legacy = token('old', { createdAt: T, expiresAt: T + DAY });
    await store.keyv.set('token-auth:rt:old', legacy);
    expect(await store.consumeRefreshToken('old', T + 1_000)).toEqual({
      status: 'consumed',
      record: { ...legacy, rotatedAt: T + 1_000 },
    });
    expect(await store.deleteRefreshToken('old')).toEqual({ ...legacy, rotatedAt: T + 1_000 });
  });

  it('gives the record of a token with a link to exactly one of concurrent deletes', async () => {
    const store = new KeyvStore(new Keyv());
    await store.createRefreshToken(token(hash(0), { createdAt: T, expiresAt: T + DAY }));
    await rotate(store, 0, T + 1_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.deleteRefreshToken(hash(1))));
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
  });

  it('sweeps from a user index the families kept no longer and keeps the others', async () => {
    const store = new KeyvStore(new Map(), { gcGraceMs: 0 });
    await store.createRefreshToken(token('short', { familyId: 'f1', createdAt: T, expiresAt: T + 1_000 }));
    await store.createRefreshToken(token('long', { familyId: 'f2', createdAt: T, expiresAt: T + DAY }));
    await store.sweep(T + 10_000);
    expect(await raw(store, 'sessions:1')).toEqual([['f2', T + 2 * DAY]]);
    expect(await store.listUserRefreshTokens(1, T + 10_000)).toEqual([
      token('long', { familyId: 'f2', createdAt: T, expiresAt: T + DAY }),
    ]);
  });

  it('refuses a token whose family belongs to another user', async () => {
    const store = new KeyvStore(new Keyv());
    await store.createRefreshToken(token('a', { userId: 1 }));
    await expect(store.createRefreshToken(token('b', { userId: 2 }))).rejects.toThrow(
      /belongs to another user/,
    );
  });

  it('reports a malformed refresh token record as a StoreError', async () => {
    const store = new KeyvStore(new Keyv());
    await store.keyv.set('token-auth:rt:a', { tokenHash: 'a' });
    await store.keyv.set('token-auth:rt:b', { tokenHash: 'b', deleted: true });
    await expect(store.consumeRefreshToken('a', T)).rejects.toThrow(/refresh token record is malformed/);
    await expect(store.consumeRefreshToken('b', T)).rejects.toThrow(/refresh token record is malformed/);
  });

  it('reports a malformed index of families as a StoreError', async () => {
    const store = new KeyvStore(new Keyv());
    await store.keyv.set('token-auth:sessions:1', 'not an index');
    await expect(store.listUserRefreshTokens(1, T)).rejects.toThrow(/index of families is malformed/);
  });

  it('reports a malformed family record as a StoreError', async () => {
    const store = new KeyvStore(new Keyv());
    await store.keyv.set('token-auth:session:f1', ['an', 'array']);
    await expect(store.createRefreshToken(token('a'))).rejects.toThrow(/family is malformed/);
  });
});

describe('KeyvStore serialization', () => {
  it('stores plain JSON in a backend it wraps', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(adapter);
    await store.createUser(user('ada@example.com'));
    expect(adapter.data.get('keyv:token-auth:meta:last-user-id')).toBe('{"value":1}');
  });

  it('keeps the serializer of a Keyv instance it is given', () => {
    const serialize = (data: unknown) => JSON.stringify(data);
    const keyv = new Keyv({ serialize });
    new KeyvStore(keyv);
    expect(keyv.serialize).toBe(serialize);
  });
});

describe('KeyvStore user cache', () => {
  it('serves a user read again from memory, without a backend read', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(adapter);
    const created = await store.createUser(user('ada@example.com'));
    adapter.take();
    await store.getUserById(created.id);
    expect(adapter.take().reads).toEqual([]);
  });

  it('answers its own updates at once', async () => {
    const store = new KeyvStore(new RecordingAdapter());
    const created = await store.createUser(user('ada@example.com'));
    await store.getUserById(created.id);
    await store.updateUser(created.id, { username: 'Ada' });
    await expect(store.getUserById(created.id)).resolves.toMatchObject({ username: 'Ada' });
  });

  it('does not let a caller change the cached record', async () => {
    const store = new KeyvStore(new RecordingAdapter());
    const created = await store.createUser(user('ada@example.com'));
    const read = await store.getUserById(created.id);
    if (read) read.username = 'changed by the caller';
    await expect(store.getUserById(created.id)).resolves.toMatchObject({ username: '' });
  });

  it('reads the backend every time with userCacheSize 0', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(adapter, { userCacheSize: 0 });
    const created = await store.createUser(user('ada@example.com'));
    adapter.take();
    await store.getUserById(created.id);
    expect(adapter.take().reads).toEqual([`keyv:token-auth:user:${created.id}`]);
  });

  it('drops a user from the cache when writing it fails', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(adapter);
    const created = await store.createUser(user('ada@example.com'));
    adapter.broken = true;
    await expect(store.updateUser(created.id, { username: 'Ada' })).rejects.toBeInstanceOf(StoreError);
    await expect(store.getUserById(created.id)).rejects.toBeInstanceOf(StoreError);
  });

  it('does not cache a read that a write overtook (a backend answering reads late)', async () => {
    /** Answers the armed read with the value it had when asked, but only when released. */
    class LateReads extends FailingAdapter {
      armed: string | undefined;
      release: (() => void) | undefined;
      override async get<Value>(key: string): Promise<Value | undefined> {
        const value = this.data.get(key) as Value | undefined;
        if (key !== this.armed) return value;
        this.armed = undefined;
        await new Promise<void>((resolve) => {
          this.release = resolve;
        });
        return value;
      }
    }
    const adapter = new LateReads();
    const store = new KeyvStore(adapter, { userCacheSize: 1 });
    const ada = await store.createUser(user('ada@example.com'));
    await store.createUser(user('bob@example.com')); // evicts ada from the one-entry cache
    adapter.armed = `keyv:token-auth:user:${ada.id}`;
    const lateRead = store.getUserById(ada.id);
    await store.updateUser(ada.id, { isActive: false });
    adapter.release?.();
    await expect(lateRead).resolves.toMatchObject({ isActive: true });
    await expect(store.getUserById(ada.id)).resolves.toMatchObject({ isActive: false });
  });

  it('rejects a negative userCacheSize with a ConfigError naming it', () => {
    expect(() => new KeyvStore(new Keyv(), { userCacheSize: -1 })).toThrow(/userCacheSize/);
  });
});
