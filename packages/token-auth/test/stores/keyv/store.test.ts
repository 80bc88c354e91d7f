import { Keyv } from 'keyv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { KeyvStore, type KeyvStoreOptions } from '../../../src/stores/keyv/index.js';
import { BackendDown, FailingAdapter, MINUTE_MS, newSession, newUser, settingsChange } from '../fixtures.js';

describe('KeyvStore', () => {
  it('refuses a value that is not a Keyv instance with a ConfigError', () => {
    expect(() => new KeyvStore(new Map() as unknown as Keyv)).toThrow(ConfigError);
  });

  it.each<[string, KeyvStoreOptions]>([
    ['namespace', { namespace: '' }],
    ['gcGraceMs', { gcGraceMs: -1 }],
    ['maxHistoryEntries', { maxHistoryEntries: 0 }],
    ['userCacheSize', { userCacheSize: -1 }],
    ['sweepIntervalMs', { sweepIntervalMs: Number.NaN }],
  ])('rejects a bad %s with a ConfigError naming it', (name, options) => {
    expect(() => new KeyvStore(new Keyv(), options)).toThrow(new RegExp(name));
  });

  it('switches throwOnErrors on for the Keyv it is given, so that no failure reads as a miss', () => {
    const keyv = new Keyv();
    new KeyvStore(keyv);
    expect(keyv.throwOnErrors).toBe(true);
  });

  it('rejects with the backend error itself, for the core to wrap once', async () => {
    const adapter = new FailingAdapter();
    const store = new KeyvStore(new Keyv(adapter), { userCacheSize: 0 });
    const ada = await store.createUser(newUser('ada@example.com'));
    adapter.broken = true;
    await expect(store.getUserById(ada.id)).rejects.toBeInstanceOf(BackendDown);
  });

  it('rejects a write the backend refuses', async () => {
    const adapter = new FailingAdapter();
    adapter.set = async () => false;
    const store = new KeyvStore(new Keyv(adapter));
    await expect(store.updateSettings({ accessTokenTtlSeconds: 60 }, [])).rejects.toThrow(/refused a write/);
  });

  it.each([
    ['user record', 'user:1', (store: KeyvStore) => store.getUserById(1)],
    [
      'email claim',
      'email:ada@example.com',
      (store: KeyvStore) => store.getUserByEmailKey('ada@example.com'),
    ],
    ['token entry', 'token:abc', (store: KeyvStore) => store.rotate('abc', { hash: 'def', expiresAt: 2 }, 1)],
    ['list of sessions', 'user-sessions:1', (store: KeyvStore) => store.listSessions(1, 0)],
    ['settings record', 'settings', (store: KeyvStore) => store.getSettings()],
    ['throttling counter', 'hits:login:ada', (store: KeyvStore) => store.peekHits('login:ada', 0)],
  ])('rejects a malformed stored %s, naming it', async (what, key, read) => {
    const keyv = new Keyv();
    const store = new KeyvStore(keyv);
    await keyv.set(`token-auth:${key}`, ['not', 'a', 'record']);
    await expect(read(store)).rejects.toThrow(`A stored ${what} is malformed`);
  });

  it('never expires users, email claims, the id counter and settings, even under a Keyv default TTL', async () => {
    const keyv = new Keyv({ ttl: 1_000 });
    const store = new KeyvStore(keyv);
    await store.createUser(newUser('ada@example.com'));
    await store.updateSettings({ accessTokenTtlSeconds: 60 }, [
      settingsChange('accessTokenTtlSeconds', 30, 60, 0, null),
    ]);
    for (const key of ['user:1', 'email:ada@example.com', 'meta:last-user-id', 'settings']) {
      expect((await keyv.getRaw(`token-auth:${key}`))?.expires, key).toBeUndefined();
    }
  });

  it('carries the users of a 0.1.0 backend over: its id counter and claims keep their keys', async () => {
    const keyv = new Keyv();
    const old = { ...newUser('ada@example.com'), id: 1 };
    await keyv.set('token-auth:user:1', old);
    await keyv.set('token-auth:email:ada@example.com', 1);
    await keyv.set('token-auth:meta:last-user-id', 1);
    const store = new KeyvStore(keyv);
    expect(await store.getUserByEmailKey('ada@example.com')).toEqual(old);
    expect((await store.createUser(newUser('bob@example.com'))).id).toBe(2);
    expect(await store.getUserById(1)).toEqual(old);
  });

  it('keeps a throttling counter in the backend until the end of its window plus the grace period', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 30_000 });
    const before = Date.now();
    // A window far from the wall clock: the TTL counts from the now passed in.
    await store.hit('login:ada', 60_000, 1_000_000);
    const expires = (await store.keyv.getRaw('token-auth:hits:login:ada'))?.expires ?? 0;
    expect(expires - before).toBeGreaterThanOrEqual(90_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(90_000);
  });

  it('keeps the records of two namespaces on one Keyv apart', async () => {
    const keyv = new Keyv();
    const first = new KeyvStore(keyv, { namespace: 'app-one' });
    const second = new KeyvStore(keyv, { namespace: 'app-two' });
    await first.createUser(newUser('ada@example.com'));
    expect(await second.getUserByEmailKey('ada@example.com')).toBeUndefined();
    expect((await second.createUser(newUser('ada@example.com'))).id).toBe(1);
  });

  it('keeps at most maxHistoryEntries settings changes, dropping the oldest', async () => {
    const store = new KeyvStore(new Keyv(), { maxHistoryEntries: 2 });
    const changes = [30, 45, 60].map((value, i) =>
      settingsChange('accessTokenTtlSeconds', 15, value, i, null),
    );
    for (const change of changes)
      await store.updateSettings({ accessTokenTtlSeconds: change.newValue }, [change]);
    expect(await store.listSettingsHistory(10)).toEqual([changes[2], changes[1]]);
  });

  it('rejects operations after close', async () => {
    const store = new KeyvStore(new Keyv());
    await store.close();
    await expect(store.getSettings()).rejects.toThrow(/closed/);
  });

  it('finishes the operations in flight before close disconnects the backend', async () => {
    const store = new KeyvStore(new Keyv());
    const creating = store.createUser(newUser('ada@example.com'));
    await store.close();
    await expect(creating).resolves.toMatchObject({ id: 1 });
  });
});

describe('KeyvStore.sweep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const ownKeys = (store: KeyvStore) =>
    [...(store.keyv.store as Map<string, unknown>).keys()].filter((key) => key.includes(store.keyPrefix));

  it('deletes what stopped mattering more than gcGraceMs before now, and keeps the rest', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 1_000 });
    const t0 = Date.now();
    await store.createUser(newUser('ada@example.com'));
    await store.hit('short', 10_000, t0);
    await store.hit('long', 60_000, t0);
    expect(await store.sweep(t0 + 11_000)).toBe(1);
    expect(await store.peekHits('long', t0)).toEqual({ count: 1, resetAt: t0 + 60_000 });
    expect(ownKeys(store)).toHaveLength(4); // user, email claim, id counter, long counter
  });

  it('deletes the token entries of an ended session, which would otherwise stay until their expiry', async () => {
    const store = new KeyvStore(new Keyv());
    const t0 = Date.now();
    const session = newSession({ userId: 1, createdAt: t0, expiresAt: t0 + MINUTE_MS });
    await store.startSession(session);
    await store.endSession(1, session.id);
    expect(ownKeys(store)).toEqual([`keyv:token-auth:token:${session.headHash}`]);
    expect(await store.sweep(t0)).toBe(1);
    expect(ownKeys(store)).toEqual([]);
  });

  it('runs by itself every sweepIntervalMs', async () => {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 0, sweepIntervalMs: 60_000 });
    await store.hit('login:ada', 1_000, Date.now());
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ownKeys(store)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ownKeys(store)).toHaveLength(0);
    await store.close();
  });
});
