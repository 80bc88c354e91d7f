import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { ConfigError, EmailTakenError, StoreError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { TokenAuthStore } from '../../src/stores/port.js';
import { EMAIL, fastHasher, PASSWORD, rejectionOf, SECRET } from './fixtures.js';

describe('createTokenAuth', () => {
  it('refuses a missing options object', () => {
    expect(() => createTokenAuth(undefined as never)).toThrow(ConfigError);
  });

  it('refuses a missing store', () => {
    expect(() => createTokenAuth({ secret: SECRET } as never)).toThrow(/`store` is required/);
  });

  it('names the first method a store lacks', () => {
    const { rotate: _, ...partial } = Object.fromEntries(
      Object.getOwnPropertyNames(MemoryStore.prototype).map((name) => [name, () => undefined]),
    );
    expect(() => createTokenAuth({ store: partial as unknown as TokenAuthStore, secret: SECRET })).toThrow(
      'store.rotate must be a function',
    );
  });

  it('refuses a clock that is not a function', () => {
    expect(() => createTokenAuth({ store: new MemoryStore(), secret: SECRET, now: 5 as never })).toThrow(
      /`now` must be a function/,
    );
  });

  it('refuses a password hasher without needsRehash', () => {
    const passwordHasher = { hash: async () => '', verify: async () => false } as never;
    expect(() => createTokenAuth({ store: new MemoryStore(), secret: SECRET, passwordHasher })).toThrow(
      'passwordHasher.needsRehash must be a function',
    );
  });

  it.each([
    ['issuer', { issuer: '' }],
    ['audience', { audience: 7 }],
    ['verifiedTokenCacheSize', { verifiedTokenCacheSize: -1 }],
  ])('refuses an invalid %s', (_name, options) => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: SECRET, ...(options as object) }),
    ).toThrow(ConfigError);
  });

  it('uses the argon2id hasher by default', async () => {
    const store = new MemoryStore();
    const auth = createTokenAuth({ store, secret: SECRET });
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    expect(store.getUserById(user.id)?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('reports a store failure as StoreError, keeping the cause', async () => {
    const store = new MemoryStore();
    const failure = new Error('disk on fire');
    store.getUserByEmailKey = () => {
      throw failure;
    };
    const auth = createTokenAuth({ store, secret: SECRET, passwordHasher: fastHasher() });
    const error = await rejectionOf<Error>(auth.login({ email: EMAIL, password: PASSWORD }));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toBe('The store failed in getUserByEmailKey');
    expect((error as StoreError).cause).toBe(failure);
  });

  it('passes a token-auth error from the store through unchanged', async () => {
    const store = new MemoryStore();
    store.getUserByEmailKey = () => undefined; // skips the early check, so createUser decides
    const auth = createTokenAuth({ store, secret: SECRET, passwordHasher: fastHasher() });
    await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.register({ email: EMAIL, password: PASSWORD })).rejects.toThrow(EmailTakenError);
  });

  it('returns a frozen object whose operations work when detached', async () => {
    const auth = createTokenAuth({ store: new MemoryStore(), secret: SECRET, passwordHasher: fastHasher() });
    expect(Object.isFrozen(auth)).toBe(true);
    const { register, getProfile } = auth;
    const user = await register({ email: EMAIL, password: PASSWORD });
    await expect(getProfile(user.id)).resolves.toEqual(user);
  });
});
