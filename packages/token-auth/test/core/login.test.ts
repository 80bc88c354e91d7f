import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { InvalidCredentialsError, type ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import {
  countingHasher,
  decodeSegment,
  EMAIL,
  fastHasher,
  manualClock,
  PASSWORD,
  rejectionOf,
  SECRET,
  setup,
} from './fixtures.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('login', () => {
  it('returns an access token and a refresh token for the right credentials', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    const pair = await auth.login({ email: EMAIL, password: PASSWORD });
    expect(pair.refreshToken).toMatch(UUID_V4);
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toMatchObject({ userId: user.id });
  });

  it('finds the account whatever the case and surrounding spaces of the email', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.login({ email: '  USER@Example.com ', password: PASSWORD })).resolves.toHaveProperty(
      'accessToken',
    );
  });

  it('opens a new session each time', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const first = await auth.login({ email: EMAIL, password: PASSWORD });
    const second = await auth.login({ email: EMAIL, password: PASSWORD });
    expect(decodeSegment(first.accessToken, 1).sid).not.toBe(decodeSegment(second.accessToken, 1).sid);
  });

  it('refuses a wrong password with InvalidCredentialsError', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    await expect(auth.login({ email: EMAIL, password: 'wrong password' })).rejects.toThrow(
      InvalidCredentialsError,
    );
  });

  it('refuses an unknown email with the same error and message as a wrong password', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const wrongPassword = await rejectionOf<Error>(auth.login({ email: EMAIL, password: 'wrong password' }));
    const unknownEmail = await rejectionOf<Error>(
      auth.login({ email: 'nobody@example.com', password: PASSWORD }),
    );
    expect(unknownEmail).toBeInstanceOf(InvalidCredentialsError);
    expect(unknownEmail.message).toBe(wrongPassword.message);
  });

  it('verifies a password even for an unknown email, against one dummy hash made once', async () => {
    const hasher = countingHasher();
    const { auth } = setup({ passwordHasher: hasher });
    await rejectionOf(auth.login({ email: 'nobody@example.com', password: PASSWORD }));
    await rejectionOf(auth.login({ email: 'nobody-else@example.com', password: PASSWORD }));
    expect(hasher.calls).toEqual({ hash: 1, verify: 2 });
  });

  it('refuses an inactive user with the right password, as if the password were wrong', async () => {
    const { auth } = setup();
    const user = await auth.register({ email: EMAIL, password: PASSWORD });
    await auth.setUserFlags(user.id, { isActive: false });
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow(
      'The email or password is incorrect',
    );
  });

  it('names every missing field', async () => {
    const { auth } = setup();
    const error = await rejectionOf<ValidationError>(auth.login({ email: '', password: undefined }));
    expect(error.fields.map((field) => field.field)).toEqual(['email', 'password']);
  });

  it.each([
    ['not a string', 42, 'email must be a string'],
    ['longer than 254 characters', `${'a'.repeat(250)}@example.com`, 'at most 254'],
  ])('refuses an email that is %s', async (_name, email, message) => {
    const { auth } = setup();
    const error = await rejectionOf<ValidationError>(auth.login({ email, password: PASSWORD }));
    expect(error.fields).toEqual([{ field: 'email', message: expect.stringContaining(message) }]);
  });

  it('refuses a client key that is not a string', async () => {
    const { auth } = setup();
    const error = await rejectionOf<ValidationError>(
      auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: 7 as never }),
    );
    expect(error.fields.map((field) => field.field)).toEqual(['clientKey']);
  });

  it('makes the dummy hash again after a failure to make it', async () => {
    const inner = fastHasher();
    let failures = 1;
    const flaky = {
      ...inner,
      hash: (password: string) =>
        failures-- > 0 ? Promise.reject(new Error('out of memory')) : inner.hash(password),
    };
    const { auth } = setup({ passwordHasher: flaky });
    await expect(auth.login({ email: 'nobody@example.com', password: PASSWORD })).rejects.toThrow(
      'out of memory',
    );
    await expect(auth.login({ email: 'nobody@example.com', password: PASSWORD })).rejects.toThrow(
      InvalidCredentialsError,
    );
  });

  it('refuses a password longer than 128 characters before hashing it', async () => {
    const hasher = countingHasher();
    const { auth } = setup({ passwordHasher: hasher });
    const error = await rejectionOf<ValidationError>(auth.login({ email: EMAIL, password: 'a'.repeat(129) }));
    expect(error.fields).toEqual([{ field: 'password', message: expect.stringContaining('at most 128') }]);
    expect(hasher.calls.verify).toBe(0);
  });

  it('treats a malformed email as an unknown account', async () => {
    const { auth } = setup();
    await expect(auth.login({ email: 'not an email', password: PASSWORD })).rejects.toThrow(
      InvalidCredentialsError,
    );
  });

  it('never puts the password in an error message', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const error = await rejectionOf<Error>(auth.login({ email: EMAIL, password: 'my-secret-guess' }));
    expect(error.message).not.toContain('my-secret-guess');
  });
});

describe('login with outdated hash parameters', () => {
  function instances() {
    const store = new MemoryStore();
    const clock = manualClock();
    const common = { store, secret: SECRET, now: clock.now };
    return {
      store,
      before: createTokenAuth({ ...common, passwordHasher: fastHasher(16) }),
      after: createTokenAuth({ ...common, passwordHasher: fastHasher(32) }),
    };
  }

  it('rehashes the password with the current parameters', async () => {
    const { store, before, after } = instances();
    const user = await before.register({ email: EMAIL, password: PASSWORD });
    expect(store.getUserById(user.id)?.passwordHash).toMatch(/^\$scrypt\$ln=4,/);
    await after.login({ email: EMAIL, password: PASSWORD });
    expect(store.getUserById(user.id)?.passwordHash).toMatch(/^\$scrypt\$ln=5,/);
    await expect(after.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it('does not rehash after a failed login', async () => {
    const { store, before, after } = instances();
    const user = await before.register({ email: EMAIL, password: PASSWORD });
    const hash = store.getUserById(user.id)?.passwordHash;
    await rejectionOf(after.login({ email: EMAIL, password: 'wrong password' }));
    expect(store.getUserById(user.id)?.passwordHash).toBe(hash);
  });

  it('leaves an up-to-date hash untouched', async () => {
    const { store, before } = instances();
    const user = await before.register({ email: EMAIL, password: PASSWORD });
    const hash = store.getUserById(user.id)?.passwordHash;
    await before.login({ email: EMAIL, password: PASSWORD });
    expect(store.getUserById(user.id)?.passwordHash).toBe(hash);
  });
});
