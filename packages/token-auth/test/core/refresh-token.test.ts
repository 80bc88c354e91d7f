import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { InvalidRefreshTokenError, RefreshTokenReusedError, ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
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

  it('are stored only as the lowercase hex SHA-256 of the token, with owner, family and times', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    const [record] = store.listUserRefreshTokens(user.id, T0);
    expect(record).toEqual({
      tokenHash: createHash('sha256').update(pair.refreshToken).digest('hex'),
      userId: user.id,
      familyId: decodeSegment(pair.accessToken, 1).sid,
      createdAt: T0,
      expiresAt: T0 + THIRTY_DAYS_MS,
      rotatedAt: null,
    });
    expect(JSON.stringify(record)).not.toContain(pair.refreshToken);
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

  it('refuses the token of a user deactivated in the store, and revokes its session', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    store.updateUser(user.id, { isActive: false });
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    store.updateUser(user.id, { isActive: true });
    expect(store.listUserRefreshTokens(user.id, T0)).toEqual([]);
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

  it('revokes the whole family, so the newest token stops working too', async () => {
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

  it('after a concurrent race, leaves the winner revoked with the rest of its family', async () => {
    const { auth, store } = setup();
    const { user, pair } = await loggedIn(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    );
    const winner = results.find((result) => result.status === 'fulfilled');
    expect(winner?.status).toBe('fulfilled');
    if (winner?.status !== 'fulfilled') return;
    await expect(auth.refresh(winner.value.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    expect(store.listUserRefreshTokens(user.id, T0)).toEqual([]);
  });

  it('by logout is treated as reuse: the family is revoked', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await expect(auth.logout(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });
});

describe('a refresh racing a revocation', () => {
  /** A store whose createRefreshToken first runs `before` (once armed), as if another request slipped in. */
  function racingStore(before: (store: MemoryStore) => void) {
    const store = new MemoryStore();
    let armed = false;
    const original = store.createRefreshToken.bind(store);
    store.createRefreshToken = (record) => {
      if (armed) {
        armed = false;
        before(store);
      }
      original(record);
    };
    return { store, arm: () => (armed = true) };
  }

  it('does not leave its new token alive when the user logged out everywhere in between', async () => {
    const racing = racingStore((store) => store.deleteUserRefreshTokens(1));
    const auth = createTokenAuth({
      store: racing.store,
      secret: SECRET,
      now: manualClock().now,
      passwordHasher: fastHasher(),
    });
    const { pair } = await loggedIn(auth);
    racing.arm();
    const next = await auth.refresh(pair.refreshToken);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    expect(racing.store.listUserRefreshTokens(1, T0)).toEqual([]);
  });

  it('keeps its new token when nothing was revoked in between', async () => {
    const racing = racingStore(() => {});
    const auth = createTokenAuth({
      store: racing.store,
      secret: SECRET,
      now: manualClock().now,
      passwordHasher: fastHasher(),
    });
    const { pair } = await loggedIn(auth);
    racing.arm();
    const next = await auth.refresh(pair.refreshToken);
    await expect(auth.refresh(next.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });
});

describe('refresh with reuseGraceMs', () => {
  it('answers a rotated token presented within the grace as invalid, not as reuse', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    await auth.refresh(pair.refreshToken);
    const error = await rejectionOf<Error>(auth.refresh(pair.refreshToken));
    expect(error).toBeInstanceOf(InvalidRefreshTokenError);
    expect(error).not.toBeInstanceOf(RefreshTokenReusedError);
  });

  it('keeps the session of the new token after a presentation within the grace', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await auth.refresh(pair.refreshToken).catch(() => undefined);
    await expect(auth.refresh(next.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('treats a presentation after the grace as reuse and revokes the session', async () => {
    const { auth, clock } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    clock.advance(5_000);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('lets the winner of 50 concurrent refreshes keep its session', async () => {
    const { auth } = setup({ reuseGraceMs: 5_000 });
    const { pair } = await loggedIn(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    );
    const winners = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(winners).toHaveLength(1);
    await expect(auth.refresh(winners[0]?.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('refuses a negative grace', () => {
    expect(() => setup({ reuseGraceMs: -1 })).toThrow(/reuseGraceMs/);
  });
});

describe('logout', () => {
  it('revokes the refresh token', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
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

  it('removes the rotated ancestors of the session from the store', async () => {
    const { auth, store } = setup();
    const { pair } = await loggedIn(auth);
    const next = await auth.refresh(pair.refreshToken);
    await auth.logout(next.refreshToken);
    expect(
      await store.consumeRefreshToken(createHash('sha256').update(pair.refreshToken).digest('hex'), T0),
    ).toEqual({ status: 'missing' });
  });

  it('refuses a token already logged out', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    await expect(auth.logout(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
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

describe('logoutEverywhere', () => {
  it('revokes every session of the user and says how many', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const other = await auth.login({ email: EMAIL, password: PASSWORD });
    await expect(auth.logoutEverywhere(user.id)).resolves.toBe(2);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    await expect(auth.refresh(other.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('leaves other users alone', async () => {
    const { auth } = setup();
    const { user } = await loggedIn(auth);
    const { pair: theirs } = await loggedIn(auth, 'other@example.com');
    await auth.logoutEverywhere(user.id);
    await expect(auth.refresh(theirs.refreshToken)).resolves.toMatchObject(A_NEW_PAIR);
  });

  it('refuses a user id that is not a positive integer', async () => {
    const { auth } = setup();
    await expect(auth.logoutEverywhere(0)).rejects.toMatchObject({ fields: [{ field: 'userId' }] });
  });
});

describe('listSessions', () => {
  it('lists the active sessions, oldest first, with their current token times', async () => {
    const { auth, clock } = setup();
    const { user, pair } = await loggedIn(auth);
    clock.advance(1000);
    const second = await auth.login({ email: EMAIL, password: PASSWORD });
    expect(await auth.listSessions(user.id)).toEqual([
      { sessionId: decodeSegment(pair.accessToken, 1).sid, issuedAt: T0, expiresAt: T0 + THIRTY_DAYS_MS },
      {
        sessionId: decodeSegment(second.accessToken, 1).sid,
        issuedAt: T0 + 1000,
        expiresAt: T0 + 1000 + THIRTY_DAYS_MS,
      },
    ]);
  });

  it('keeps a session id across rotations and shows the latest token', async () => {
    const { auth, clock } = setup();
    const { user, pair } = await loggedIn(auth);
    clock.advance(5000);
    await auth.refresh(pair.refreshToken);
    expect(await auth.listSessions(user.id)).toEqual([
      {
        sessionId: decodeSegment(pair.accessToken, 1).sid,
        issuedAt: T0 + 5000,
        expiresAt: T0 + 5000 + THIRTY_DAYS_MS,
      },
    ]);
  });

  it('drops a session once logged out', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    await auth.logout(pair.refreshToken);
    await expect(auth.listSessions(user.id)).resolves.toEqual([]);
  });

  it('refuses a user id that is not a positive integer', async () => {
    const { auth } = setup();
    await expect(auth.listSessions(1.5)).rejects.toMatchObject({ fields: [{ field: 'userId' }] });
  });
});
