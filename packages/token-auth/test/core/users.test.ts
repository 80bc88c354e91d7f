import { describe, expect, it } from 'vitest';
import {
  EmailTakenError,
  ForbiddenError,
  InvalidRefreshTokenError,
  UserNotFoundError,
  type ValidationError,
} from '../../src/errors.js';
import { EMAIL, failingFields, loggedIn, PASSWORD, rejectionOf, setup, T0 } from './fixtures.js';

describe('register', () => {
  it('creates an active, non-staff user with an empty username', async () => {
    const { auth } = setup();
    await expect(auth.register({ email: EMAIL, password: PASSWORD })).resolves.toEqual({
      id: 1,
      email: EMAIL,
      username: '',
      isStaff: false,
      isActive: true,
    });
  });

  it('gives each user a new integer id', async () => {
    const { auth } = setup();
    const first = await auth.register({ email: 'a@example.com', password: PASSWORD });
    const second = await auth.register({ email: 'b@example.com', password: PASSWORD });
    expect([first.id, second.id]).toEqual([1, 2]);
  });

  it('keeps the email as given, trimmed, and its case', async () => {
    const { auth } = setup();
    await expect(
      auth.register({ email: '  John.Smith@Example.com ', password: PASSWORD }),
    ).resolves.toMatchObject({
      email: 'John.Smith@Example.com',
    });
  });

  it('stores a password hash, never the password', async () => {
    const { auth, store } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const record = store.getUserByEmailKey(EMAIL);
    expect(record?.passwordHash).toMatch(/^\$scrypt\$/);
    expect(JSON.stringify(record)).not.toContain(PASSWORD);
  });

  it('records the creation time from the injected clock', async () => {
    const { auth, store } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    expect(store.getUserById(1)).toMatchObject({ createdAt: T0, updatedAt: T0 });
  });

  it('accepts a username and trims it', async () => {
    const { auth } = setup();
    await expect(
      auth.register({ email: EMAIL, password: PASSWORD, username: '  John Smith ' }),
    ).resolves.toMatchObject({
      username: 'John Smith',
    });
  });

  it('ignores staff and active flags in its input', async () => {
    const { auth } = setup();
    const input = { email: EMAIL, password: PASSWORD, isStaff: true, isActive: false };
    await expect(auth.register(input)).resolves.toMatchObject({ isStaff: false, isActive: true });
  });

  it('refuses an email already registered in another case', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.register({ email: 'USER@Example.COM', password: PASSWORD })).rejects.toThrow(
      EmailTakenError,
    );
  });

  it('lets exactly one of concurrent registrations of one email succeed', async () => {
    const { auth } = setup();
    const emails = Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? EMAIL : EMAIL.toUpperCase()));
    const results = await Promise.allSettled(
      emails.map((email) => auth.register({ email, password: PASSWORD })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(EmailTakenError);
    }
  });

  it('names every missing field at once', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.register({ email: undefined, password: undefined }))).toEqual([
      'email',
      'password',
    ]);
  });

  it.each([
    ['without an @', 'user.example.com'],
    ['without a domain dot', 'user@localhost'],
    ['with a space', 'us er@example.com'],
    ['with two @', 'a@b@example.com'],
    ['that is not a string', 42],
    ['that is blank', '   '],
    ['of 255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`],
  ])('refuses an email %s', async (_name, email) => {
    const { auth } = setup();
    expect(await failingFields(auth.register({ email, password: PASSWORD }))).toEqual(['email']);
  });

  it('accepts an email of exactly 254 characters', async () => {
    const { auth } = setup();
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    await expect(auth.register({ email, password: PASSWORD })).resolves.toMatchObject({ email });
  });

  it.each([
    ['of 7 characters', 'a'.repeat(7), 'at least 8'],
    ['of 129 characters', 'a'.repeat(129), 'at most 128'],
    ['of 7 emoji (14 UTF-16 units)', '😀'.repeat(7), 'at least 8'],
    ['that is not a string', 12345678, 'must be a string'],
  ])('refuses a password %s', async (_name, password, message) => {
    const { auth } = setup();
    const error = await rejectionOf<ValidationError>(auth.register({ email: EMAIL, password }));
    expect(error.fields).toEqual([{ field: 'password', message: expect.stringContaining(message) }]);
  });

  it.each([
    ['8 characters', 'a'.repeat(8)],
    ['128 characters', 'a'.repeat(128)],
    ['8 emoji', '😀'.repeat(8)],
    ['only spaces, with no composition rule', ' '.repeat(8)],
  ])('accepts a password of %s', async (_name, password) => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password });
    await expect(auth.login({ email: EMAIL, password })).resolves.toHaveProperty('accessToken');
  });

  it('treats canonically equivalent passwords as the same (NFKC)', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: 'caf\u00e9-au-lait' });
    await expect(auth.login({ email: EMAIL, password: 'cafe\u0301-au-lait' })).resolves.toHaveProperty(
      'accessToken',
    );
  });

  it.each([
    ['of 151 characters', 'a'.repeat(151)],
    ['with a line break', 'John\nSmith'],
    ['that is not a string', 42],
  ])('refuses a username %s', async (_name, username) => {
    const { auth } = setup();
    expect(await failingFields(auth.register({ email: EMAIL, password: PASSWORD, username }))).toEqual([
      'username',
    ]);
  });

  it('refuses an input that is not an object', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.register(null as never))).toEqual(['body']);
  });
});

describe('getProfile', () => {
  it('returns the user without the password hash', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    const profile = await auth.getProfile(user.id);
    expect(profile).toEqual(user);
    expect(profile).not.toHaveProperty('passwordHash');
  });

  it('throws UserNotFoundError for an unknown id', async () => {
    const { auth } = setup();
    await expect(auth.getProfile(99)).rejects.toThrow(UserNotFoundError);
  });

  it('refuses an id that is not a positive integer', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.getProfile(-1))).toEqual(['userId']);
  });
});

describe('updateProfile', () => {
  it('changes the username', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.updateProfile(user.id, { username: 'John Smith' })).resolves.toMatchObject({
      username: 'John Smith',
      email: EMAIL,
    });
  });

  it('changes the email, which then logs in while the old one does not', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.updateProfile(user.id, { email: 'new@example.com' })).resolves.toMatchObject({
      email: 'new@example.com',
    });
    await expect(auth.login({ email: 'new@example.com', password: PASSWORD })).resolves.toHaveProperty(
      'accessToken',
    );
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow(/incorrect/);
  });

  it('changes the case of the own email', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.updateProfile(user.id, { email: 'User@Example.com' })).resolves.toMatchObject({
      email: 'User@Example.com',
    });
  });

  it('refuses an email registered by another user', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await auth.register({ email: 'taken@example.com', password: PASSWORD });
    await expect(auth.updateProfile(user.id, { email: 'TAKEN@example.com' })).rejects.toThrow(
      EmailTakenError,
    );
  });

  it('names every invalid field', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    expect(await failingFields(auth.updateProfile(user.id, { email: 'nope', username: 7 }))).toEqual([
      'email',
      'username',
    ]);
  });

  it('never applies staff or active flags', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    const patch = { username: 'x', isStaff: true, isActive: false } as { username: string };
    await expect(auth.updateProfile(user.id, patch)).resolves.toMatchObject({
      isStaff: false,
      isActive: true,
    });
  });

  it('returns the profile unchanged for an empty patch', async () => {
    const { auth, store, clock } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    clock.advance(1000);
    await expect(auth.updateProfile(user.id, {})).resolves.toEqual(user);
    expect(store.getUserById(user.id)?.updatedAt).toBe(T0);
  });

  it('records the time of the change', async () => {
    const { auth, store, clock } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    clock.advance(1000);
    await auth.updateProfile(user.id, { username: 'J' });
    expect(store.getUserById(user.id)?.updatedAt).toBe(T0 + 1000);
  });

  it('throws UserNotFoundError for an unknown id', async () => {
    const { auth } = setup();
    await expect(auth.updateProfile(5, { username: 'x' })).rejects.toThrow(UserNotFoundError);
  });
});

describe('ensureUser', () => {
  it('creates a missing user with the given staff flag', async () => {
    const { auth } = setup();
    await expect(
      auth.ensureUser({ email: 'admin@example.com', password: PASSWORD, isStaff: true }),
    ).resolves.toMatchObject({
      id: 1,
      isStaff: true,
      isActive: true,
    });
  });

  it('updates the password and staff flag of an existing user, keeping its id', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    const ensured = await auth.ensureUser({
      email: EMAIL.toUpperCase(),
      password: 'a new password',
      isStaff: true,
    });
    expect(ensured).toMatchObject({ id: user.id, isStaff: true });
    await expect(auth.login({ email: EMAIL, password: 'a new password' })).resolves.toHaveProperty(
      'accessToken',
    );
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow(/incorrect/);
  });

  it('ends the sessions of an existing user whose password it changes', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const session = await auth.login({ email: EMAIL, password: PASSWORD });
    await auth.ensureUser({ email: EMAIL, password: 'a new password' });
    await expect(auth.refresh(session.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('keeps the sessions and the hash when the password is the same', async () => {
    const { auth, store } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    const session = await auth.login({ email: EMAIL, password: PASSWORD });
    const hashBefore = (await store.getUserById(user.id))?.passwordHash;
    await auth.ensureUser({ email: EMAIL, password: PASSWORD, isStaff: true });
    expect((await store.getUserById(user.id))?.passwordHash).toBe(hashBefore);
    await expect(auth.refresh(session.refreshToken)).resolves.toHaveProperty('accessToken');
  });

  it('leaves the staff flag alone when not given', async () => {
    const { auth } = setup();
    await auth.ensureUser({ email: EMAIL, password: PASSWORD, isStaff: true });
    await expect(auth.ensureUser({ email: EMAIL, password: PASSWORD })).resolves.toMatchObject({
      isStaff: true,
    });
  });

  it('refuses invalid input like register does', async () => {
    const { auth } = setup();
    expect(
      await failingFields(auth.ensureUser({ email: 'x', password: 'short', isStaff: 'yes' as never })),
    ).toEqual(['email', 'password', 'isStaff']);
  });

  it('updates the user that won a creation race instead of failing', async () => {
    const { auth, store } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const lookup = store.getUserByEmailKey.bind(store);
    let misses = 1;
    store.getUserByEmailKey = (emailKey) => (misses-- > 0 ? undefined : lookup(emailKey));
    await expect(auth.ensureUser({ email: EMAIL, password: PASSWORD, isStaff: true })).resolves.toMatchObject(
      {
        id: 1,
        isStaff: true,
      },
    );
  });

  it('creates one user when called concurrently for one email', async () => {
    const { auth } = setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => auth.ensureUser({ email: EMAIL, password: PASSWORD })),
    );
    expect(new Set(results.map((user) => user.id))).toEqual(new Set([1]));
  });
});

describe('setUserFlags', () => {
  it('sets the staff and active flags', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.setUserFlags(user.id, { isStaff: true, isActive: false })).resolves.toMatchObject({
      isStaff: true,
      isActive: false,
    });
  });

  it('ends every session of a user it deactivates', async () => {
    const { auth, store } = setup();
    const { user } = await loggedIn(auth);
    await auth.setUserFlags(user.id, { isActive: false });
    expect(await store.listSessions(user.id, T0)).toEqual([]);
  });

  it('returns the user unchanged when given no flag', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.setUserFlags(user.id, {})).resolves.toEqual(user);
  });

  it('refuses flags that are not booleans', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    expect(await failingFields(auth.setUserFlags(user.id, { isActive: 'no' as never }))).toEqual([
      'isActive',
    ]);
  });

  it('throws UserNotFoundError for an unknown id', async () => {
    const { auth } = setup();
    await expect(auth.setUserFlags(3, { isStaff: true })).rejects.toThrow(UserNotFoundError);
  });
});

describe('requireStaff', () => {
  it('returns an active staff user', async () => {
    const { auth } = setup();
    const admin = await auth.ensureUser({ email: EMAIL, password: PASSWORD, isStaff: true });
    await expect(auth.requireStaff(admin.id)).resolves.toMatchObject({ id: admin.id, isStaff: true });
  });

  it('refuses a user who is not staff', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.requireStaff(user.id)).rejects.toThrow(ForbiddenError);
  });

  it('refuses an inactive staff user', async () => {
    const { auth } = setup();
    const admin = await auth.ensureUser({ email: EMAIL, password: PASSWORD, isStaff: true });
    await auth.setUserFlags(admin.id, { isActive: false });
    await expect(auth.requireStaff(admin.id)).rejects.toThrow(ForbiddenError);
  });

  it('refuses an unknown or malformed user id', async () => {
    const { auth } = setup();
    await expect(auth.requireStaff(42)).rejects.toThrow(ForbiddenError);
    await expect(auth.requireStaff(Number.NaN)).rejects.toThrow(ForbiddenError);
  });
});
