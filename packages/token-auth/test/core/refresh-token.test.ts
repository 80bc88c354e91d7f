import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import {
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
  StoreError,
  ValidationError,
} from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { hashOf } from '../../src/testing/fixtures.js';
import {
  decodeSegment,
  EMAIL,
  fastHasher,
  loggedIn,
  manualClock,
  PASSWORD,
  rejectionOf,
  SECRET,
  setup,
  T0,
} from './fixtures.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const THIRTY_DAYS_MS = 2_592_000_000;
/** What a successful refresh answers: a JWT and a fresh UUID. */
const A_NEW_PAIR = {
  accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
  refreshToken: expect.stringMatching(UUID_V4),
};

describe('refresh tokens', () => {
  it('are random v4 UUIDs that expire after 30 days by default', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    expect(pair.refreshToken).toMatch(UUID_V4);
    expect(pair.refreshTokenExpiresAt).toBe((T0 + THIRTY_DAYS_MS) / 1000);
  });

  it('are stored only as the head hash of a session record, with owner and times', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    const [session] = await store.listSessions(user.id, T0);
    expect(session).toEqual({
      id: decodeSegment(pair.accessToken, 1).sid,
      userId: user.id,
      headHash: hashOf(pair.refreshToken),
      previousHash: null,
      rotatedAt: null,
      createdAt: T0,
      lastUsedAt: T0,
      expiresAt: T0 + THIRTY_DAYS_MS,
      userAgent: '',
    });
    expect(JSON.stringify(session)).not.toContain(pair.refreshToken);
  });

  it('rotate the head: the session keeps the successor and its parent as hashes only', async () => {
    const { auth, store } = setup();
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    const [session] = await store.listSessions(1, T0);
    expect(session?.headHash).toBe(hashOf(next.refreshToken));
    expect(session?.previousHash).toBe(hashOf(pair.refreshToken));
    expect(JSON.stringify(session)).not.toContain(next.refreshToken);
  });
});

describe('refresh', () => {
  it('returns a new pair in the same session', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    expect(next.refreshToken).toMatch(UUID_V4);
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect(decodeSegment(next.accessToken, 1).sid).toBe(decodeSegment(pair.accessToken, 1).sid);
    await expect(auth.verifyAccessToken(next.accessToken)).resolves.toMatchObject({ userId: 1 });
  });

  it('resets both lifetimes from the moment of the refresh', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    clock.advance(10 * 24 * 3600 * 1000);
    const next = await auth.refresh(pair.refreshToken);
    const nowSeconds = (T0 + 10 * 24 * 3600 * 1000) / 1000;
    expect(next.accessTokenExpiresAt).toBe(nowSeconds + 30);
    expect(next.refreshTokenExpiresAt).toBe(nowSeconds + 2_592_000);
  });

  it('issues the lifetimes in force at the time of the refresh, not those of the login', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.updateSettings({ accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 3600 }, { userId: null });
    const next = await auth.refresh(pair.refreshToken);
    expect(next.accessTokenExpiresAt).toBe(T0 / 1000 + 60);
    expect(next.refreshTokenExpiresAt).toBe(T0 / 1000 + 3600);
  });

  it('leaves tokens issued before a lifetime change with their original expiry', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    await auth.updateSettings({ refreshTokenTtlSeconds: 60 }, { userId: null });
    clock.advance(3600_000);
    await expect(auth.refresh(pair.refreshToken)).resolves.toMatchObject({
      refreshTokenExpiresAt: T0 / 1000 + 3600 + 60,
    });
  });

  it('accepts the token in upper case, as the same UUID', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await expect(auth.refresh(pair.refreshToken.toUpperCase())).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it('refuses an expired token, from its expiry millisecond on', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    clock.advance(THIRTY_DAYS_MS);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(/has expired/);
  });

  it('accepts a token one millisecond before its expiry', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    clock.advance(THIRTY_DAYS_MS - 1);
    await expect(auth.refresh(pair.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('refuses a well-formed token that was never issued', async () => {
    const { auth } = setup();
    await loggedIn(auth);
    const error = await rejectionOf<Error>(auth.refresh('7b0c1d5e-8f2a-4b3c-9d4e-5f6a7b8c9d0e'));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
  });

  it.each([
    ['not a UUID', 'not-a-uuid'],
    ['a number', 42],
    ['missing', undefined],
    ['an empty string', ''],
  ])('refuses a token that is %s with a validation error on refresh_token', async (_name, token) => {
    const { auth } = setup();
    const error = await rejectionOf<Error>(auth.refresh(token));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields.map((field) => field.field)).toEqual(['refresh_token']);
  });

  it('refuses the token of a user deactivated in the store, and ends its session', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    await store.updateUser(user.id, { isActive: false });
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    expect(await store.listSessions(user.id, T0)).toEqual([]);
  });

  it('keeps the session whole when the store fails during the rotation', async () => {
    const store = new MemoryStore();
    let failing = false;
    const rotate = store.rotate.bind(store);
    store.rotate = (...args) => {
      if (failing) throw new Error('disk full');
      return rotate(...args);
    };
    const auth = createTokenAuth({
      store,
      secret: SECRET,
      now: manualClock().now,
      passwordHasher: fastHasher(),
    });
    const { pair } = await loggedIn(auth);
    failing = true;
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(StoreError);
    failing = false;
    await expect(auth.refresh(pair.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('refuses the token of a user deactivated with setUserFlags', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    await auth.setUserFlags(user.id, { isActive: false });
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });
});

describe('refresh-token reuse', () => {
  it('is detected when a rotated token is presented again', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.refresh(pair.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
  });

  it('ends the whole session, so the newest token stops working too', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const second = await auth.refresh(pair.refreshToken);
    const third = await auth.refresh(second.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    const error = await rejectionOf<Error>(auth.refresh(third.refreshToken));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
  });

  it('leaves the other sessions of the user alive', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const otherDevice = await auth.login({ email: EMAIL, password: PASSWORD });
    await auth.refresh(pair.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(otherDevice.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('lets exactly one of 50 concurrent refreshes with one token succeed', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    );
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(49);
    for (const result of rejected) expect(result.reason).toBeInstanceOf(RefreshTokenReusedError);
  });

  it('after a concurrent race, leaves the winner ended with the rest of its session', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    );
    const winner = results.find((result) => result.status === 'fulfilled');
    expect(winner?.status).toBe('fulfilled');
    if (winner?.status !== 'fulfilled') return;
    await expect(auth.refresh(winner.value.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    expect(await store.listSessions(user.id, T0)).toEqual([]);
  });

  it('is detected for the grandparent and older tokens too', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const second = await auth.refresh(pair.refreshToken);
    const third = await auth.refresh(second.refreshToken);
    await auth.refresh(third.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
  });

  it('by logout is treated as reuse: the session ends', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await expect(auth.logout(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });
});

describe('refresh with reuseGraceMs', () => {
  it('answers the parent presented again within the grace with the same successor', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const first = await auth.refresh(pair.refreshToken);
    const retry = await auth.refresh(pair.refreshToken);
    expect(retry.refreshToken).toBe(first.refreshToken);
    expect(retry.accessToken).not.toBe(first.accessToken);
  });

  it('gives ten parallel refreshes of one token one identical refresh token, which works', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const pairs = await Promise.all(Array.from({ length: 10 }, () => auth.refresh(pair.refreshToken)));
    expect(new Set(pairs.map((next) => next.refreshToken)).size).toBe(1);
    await expect(auth.refresh(pairs[0]?.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('anchors the window at the first rotation: retries do not extend it', async () => {
    const { auth, clock } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    await auth.refresh(pair.refreshToken);
    clock.advance(4_000);
    await auth.refresh(pair.refreshToken);
    clock.advance(1_000);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
  });

  it('treats the parent after the window as reuse and ends the session', async () => {
    const { auth, clock } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    clock.advance(5_000);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('treats the grandparent within the window as reuse and ends the session', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const second = await auth.refresh(pair.refreshToken);
    const third = await auth.refresh(second.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(third.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('does not serve a retry after the signing key changed, and keeps the session', async () => {
    const clock = manualClock();
    const store = new MemoryStore();
    const options = { store, now: clock.now, passwordHasher: fastHasher(), reuseGraceMs: 5_000 };
    const before = createTokenAuth({ ...options, secret: SECRET });
    const after = createTokenAuth({ ...options, secret: `${SECRET}-rotated` });
    const { pair } = await loggedIn(before);
    const next = await before.refresh(pair.refreshToken);
    const error = await rejectionOf<Error>(after.refresh(pair.refreshToken));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
    await expect(after.refresh(next.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('refuses a negative grace', () => {
    expect(() => setup({ reuseGraceMs: -1 })).toThrow(/reuseGraceMs/);
  });
});

describe('logout', () => {
  it('ends the session of the refresh token', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    // Unknown, not reuse: the session itself is gone.
    const error = await rejectionOf<Error>(auth.refresh(pair.refreshToken));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
  });

  it('leaves the access token valid until it expires', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toMatchObject({ userId: 1 });
  });

  it('leaves the other sessions of the user alive', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const other = await auth.login({ email: EMAIL, password: PASSWORD });
    await auth.logout(pair.refreshToken);
    await expect(auth.refresh(other.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('leaves nothing of the session: its rotated tokens are unknown afterwards', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await auth.logout(next.refreshToken);
    expect(await store.listSessions(user.id, T0)).toEqual([]);
    expect(
      await store.rotate(hashOf(pair.refreshToken), { hash: 'f'.repeat(64), expiresAt: T0 + 1 }, T0),
    ).toEqual({
      status: 'unknown',
    });
  });

  it('within the grace window, accepts the token a refresh just replaced and ends the session', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await auth.logout(pair.refreshToken);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('refuses a token already logged out', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    const error = await rejectionOf<Error>(auth.logout(pair.refreshToken));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
  });

  it('refuses an expired token', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    clock.advance(THIRTY_DAYS_MS);
    await expect(auth.logout(pair.refreshToken)).rejects.toThrow(/has expired/);
  });

  it('refuses a malformed token with a validation error on refresh_token', async () => {
    const { auth } = setup();
    await expect(auth.logout('nope')).rejects.toMatchObject({ fields: [{ field: 'refresh_token' }] });
  });
});
