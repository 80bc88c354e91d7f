import { describe, expect, it } from 'vitest';
import {
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  InvalidTokenError,
  SessionNotFoundError,
  TooManyAttemptsError,
} from '../../src/errors.js';
import { USER_AGENT_MAX_LENGTH } from '../../src/lib/validate.js';
import {
  countingHasher,
  decodeSegment,
  EMAIL,
  failingFields,
  fastHasher,
  loggedIn,
  PASSWORD,
  rejectionOf,
  setup,
  T0,
} from './fixtures.js';

const THIRTY_DAYS_MS = 2_592_000_000;
const NEW_PASSWORD = 'a brand new passphrase';
const sidOf = (accessToken: string) => decodeSegment(accessToken, 1).sid;

describe('listSessions', () => {
  it('lists the live sessions oldest first, with their times and user agents', async () => {
    const { auth, clock } = setup();
    const { user, pair } = await loggedIn(auth);
    clock.advance(1000);
    const second = await auth.login({ email: EMAIL, password: PASSWORD }, { userAgent: 'curl/8.5' });
    expect(await auth.listSessions(user.id)).toEqual([
      {
        id: sidOf(pair.accessToken),
        createdAt: T0,
        lastUsedAt: T0,
        expiresAt: T0 + THIRTY_DAYS_MS,
        userAgent: '',
      },
      {
        id: sidOf(second.accessToken),
        createdAt: T0 + 1000,
        lastUsedAt: T0 + 1000,
        expiresAt: T0 + 1000 + THIRTY_DAYS_MS,
        userAgent: 'curl/8.5',
      },
    ]);
  });

  it('keeps the session id across refreshes and advances last use and expiry', async () => {
    const { auth, clock } = setup();
    const { user, pair } = await loggedIn(auth);
    clock.advance(5000);
    const next = await auth.refresh(pair.refreshToken);
    expect(sidOf(next.accessToken)).toBe(sidOf(pair.accessToken));
    expect(await auth.listSessions(user.id)).toEqual([
      {
        id: sidOf(pair.accessToken),
        createdAt: T0,
        lastUsedAt: T0 + 5000,
        expiresAt: T0 + 5000 + THIRTY_DAYS_MS,
        userAgent: '',
      },
    ]);
  });

  it('truncates a long user agent', async () => {
    const { auth } = setup();
    const { user } = await loggedIn(auth);
    await auth.login({ email: EMAIL, password: PASSWORD }, { userAgent: 'x'.repeat(5000) });
    const sessions = await auth.listSessions(user.id);
    expect(sessions[1]?.userAgent).toHaveLength(USER_AGENT_MAX_LENGTH);
  });

  it('drops a session once logged out, and one whose token was reused', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const other = await auth.login({ email: EMAIL, password: PASSWORD });
    await auth.logout(pair.refreshToken);
    await auth.refresh(other.refreshToken);
    await auth.refresh(other.refreshToken).catch(() => undefined);
    await expect(auth.listSessions(user.id)).resolves.toEqual([]);
  });

  it('drops an expired session', async () => {
    const { auth, clock } = setup();
    const { user } = await loggedIn(auth);
    clock.advance(THIRTY_DAYS_MS);
    await expect(auth.listSessions(user.id)).resolves.toEqual([]);
  });

  it('refuses a user id that is not a positive integer', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.listSessions(1.5))).toEqual(['userId']);
  });
});

describe('endSession', () => {
  it('ends the session: its refresh token stops working, the others keep going', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const other = await auth.login({ email: EMAIL, password: PASSWORD });
    await auth.endSession(user.id, sidOf(pair.accessToken));
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    await expect(auth.refresh(other.refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it("answers another user's session as not found and leaves it alone", async () => {
    const { auth } = setup();
    const { user } = await loggedIn(auth);
    const { pair: theirs } = await loggedIn(auth, 'other@example.com');
    await expect(auth.endSession(user.id, sidOf(theirs.accessToken))).rejects.toThrow(SessionNotFoundError);
    await expect(auth.refresh(theirs.refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it.each([
    ['an unknown id', '7b0c1d5e-8f2a-4b3c-9d4e-5f6a7b8c9d0e'],
    ['a number', 42],
    ['an overlong string', 'x'.repeat(100)],
  ])('answers %s as not found', async (_name, id) => {
    const { auth } = setup();
    const { user } = await loggedIn(auth);
    await expect(auth.endSession(user.id, id)).rejects.toThrow(SessionNotFoundError);
  });

  it('lets exactly one of ten parallel calls for one session succeed', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => auth.endSession(user.id, sidOf(pair.accessToken))),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('logoutEverywhere', () => {
  it('ends every session of the user and says how many', async () => {
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
    await expect(auth.refresh(theirs.refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it('refuses a user id that is not a positive integer', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.logoutEverywhere(0))).toEqual(['userId']);
  });
});

describe('changePassword', () => {
  it('sets the new password: login works with it and no longer with the old one', async () => {
    const { auth } = setup();
    const { user } = await loggedIn(auth);
    await auth.changePassword(user.id, PASSWORD, NEW_PASSWORD);
    await expect(auth.login({ email: EMAIL, password: NEW_PASSWORD })).resolves.toBeDefined();
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow('incorrect');
  });

  it("ends every session, the caller's too, and returns a working pair of a new session", async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const other = await auth.login({ email: EMAIL, password: PASSWORD });
    const fresh = await auth.changePassword(user.id, PASSWORD, NEW_PASSWORD, { userAgent: 'phone' });
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    await expect(auth.refresh(other.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
    const sessions = await auth.listSessions(user.id);
    expect(sessions.map((session) => [session.id, session.userAgent])).toEqual([
      [sidOf(fresh.accessToken), 'phone'],
    ]);
    await expect(auth.refresh(fresh.refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it('refuses a wrong current password on current_password and changes nothing', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    expect(await failingFields(auth.changePassword(user.id, 'wrong password', NEW_PASSWORD))).toEqual([
      'current_password',
    ]);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toBeDefined();
    await expect(auth.refresh(pair.refreshToken)).resolves.toBeDefined();
  });

  it('refuses a weak new password on new_password without checking the current one', async () => {
    const hasher = countingHasher();
    const { auth } = setup({ passwordHasher: hasher });
    const { user } = await loggedIn(auth);
    const verifies = hasher.calls.verify;
    expect(await failingFields(auth.changePassword(user.id, PASSWORD, 'short'))).toEqual(['new_password']);
    expect(hasher.calls.verify).toBe(verifies);
  });

  it('is throttled like login: wrong current passwords lock the account', async () => {
    const { auth } = setup({ throttle: { maxFailuresPerAccount: 2 } });
    const { user } = await loggedIn(auth);
    await rejectionOf(auth.changePassword(user.id, 'wrong one', NEW_PASSWORD));
    await rejectionOf(auth.changePassword(user.id, 'wrong two', NEW_PASSWORD));
    await expect(auth.changePassword(user.id, PASSWORD, NEW_PASSWORD)).rejects.toThrow(TooManyAttemptsError);
  });
});

describe('an inactive user', () => {
  it.each([
    ['getProfile', (auth: ReturnType<typeof setup>['auth'], id: number) => auth.getProfile(id)],
    [
      'updateProfile',
      (auth: ReturnType<typeof setup>['auth'], id: number) => auth.updateProfile(id, { username: 'x' }),
    ],
    ['listSessions', (auth: ReturnType<typeof setup>['auth'], id: number) => auth.listSessions(id)],
    ['endSession', (auth: ReturnType<typeof setup>['auth'], id: number) => auth.endSession(id, 'some-id')],
    ['logoutEverywhere', (auth: ReturnType<typeof setup>['auth'], id: number) => auth.logoutEverywhere(id)],
    [
      'changePassword',
      (auth: ReturnType<typeof setup>['auth'], id: number) => auth.changePassword(id, PASSWORD, NEW_PASSWORD),
    ],
  ])('is refused by %s with invalid_token', async (_name, call) => {
    const { auth, store } = setup();
    const { user } = await loggedIn(auth);
    await store.updateUser(user.id, { isActive: false });
    await expect(call(auth, user.id)).rejects.toThrow(InvalidTokenError);
  });

  it('loses every session when deactivated, so reactivation revives none', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    await auth.setUserFlags(user.id, { isActive: false });
    await auth.setUserFlags(user.id, { isActive: true });
    await expect(auth.listSessions(user.id)).resolves.toEqual([]);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });
});

describe('a login racing a password change', () => {
  it('is refused, and leaves no session, when the password changed while it was being verified', async () => {
    const inner = fastHasher();
    let pause: Promise<void> | undefined;
    let verifying: (() => void) | undefined;
    const hasher = {
      hash: (password: string) => inner.hash(password),
      needsRehash: (hash: string) => inner.needsRehash(hash),
      async verify(hash: string, password: string) {
        const result = await inner.verify(hash, password);
        if (pause !== undefined) {
          verifying?.();
          await pause;
        }
        return result;
      },
    };
    // Room for two hashes at once: the paused login holds one.
    const { auth } = setup({ passwordHasher: hasher, maxConcurrentHashes: 2 });
    const { user, pair } = await loggedIn(auth);
    let resume: () => void = () => undefined;
    pause = new Promise((resolve) => {
      resume = resolve;
    });
    const verified = new Promise<void>((resolve) => {
      verifying = resolve;
    });
    const attacker = auth.login({ email: EMAIL, password: PASSWORD });
    await verified;
    pause = undefined;
    const owner = auth.changePassword(user.id, PASSWORD, NEW_PASSWORD);
    // The owner's change runs to the end while the attacker's login waits after its check.
    const fresh = await owner;
    resume();
    await expect(attacker).rejects.toThrow(InvalidCredentialsError);
    const sessions = await auth.listSessions(user.id);
    expect(sessions.map((session) => session.id)).toEqual([sidOf(fresh.accessToken)]);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('keeps a login whose hash was upgraded meanwhile by another login', async () => {
    const { auth, store } = setup();
    const { user } = await loggedIn(auth);
    // Another login rehashed the same password: the hash differs but still verifies.
    await store.updateUser(user.id, { passwordHash: await fastHasher().hash(PASSWORD) });
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('refreshToken');
  });
});
