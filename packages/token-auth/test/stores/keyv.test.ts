import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.js';
import { KeyvStore } from '../../src/stores/keyv.js';
import type { NewUserRecord, RefreshTokenRecord } from '../../src/stores/port.js';
import { runStoreConformanceSuite } from '../../src/testing.js';
import { BackendDown, FailingAdapter } from './fixtures.js';

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

const user = (email: string): NewUserRecord => ({
  email,
  emailKey: email,
  username: '',
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  isStaff: false,
  isActive: true,
  createdAt: 1_000,
  updatedAt: 1_000,
});

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
    const store = new KeyvStore(adapter);
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

  it('drops a deleted token from its family and user indexes, and an emptied index altogether', async () => {
    const store = new KeyvStore(new Keyv());
    await store.createRefreshToken(token('a1'));
    await store.createRefreshToken(token('a2'));
    await store.deleteRefreshToken('a1');
    expect((await store.keyv.get('token-auth:family:f1')).map(([hash]: [string]) => hash)).toEqual(['a2']);
    expect((await store.keyv.get('token-auth:user-tokens:1')).map(([hash]: [string]) => hash)).toEqual([
      'a2',
    ]);
    await store.deleteRefreshToken('a2');
    expect(await store.keyv.get('token-auth:family:f1')).toBeUndefined();
    expect(await store.keyv.get('token-auth:user-tokens:1')).toBeUndefined();
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
