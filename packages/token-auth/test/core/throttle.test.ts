import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { ConfigError, InvalidCredentialsError, TooManyAttemptsError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { TokenAuth } from '../../src/types.js';
import { countingHasher, EMAIL, PASSWORD, rejectionOf, SECRET, setup } from './fixtures.js';

const LIMITS = { maxFailuresPerAccount: 3, maxFailuresPerClient: 5, windowSeconds: 60 };

async function fail(auth: TokenAuth, times: number, email = EMAIL, clientKey?: string) {
  for (let i = 0; i < times; i++) {
    await expect(auth.login({ email, password: 'wrong password' }, { clientKey })).rejects.toThrow(
      InvalidCredentialsError,
    );
  }
}

async function throttled() {
  const hasher = countingHasher();
  const context = setup({ throttle: LIMITS, passwordHasher: hasher });
  await context.auth.register({ email: EMAIL, password: PASSWORD });
  return { ...context, hasher };
}

describe('login throttling', () => {
  it('refuses an account at its failure limit, even with the right password', async () => {
    const { auth } = await throttled();
    await fail(auth, 3);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow(TooManyAttemptsError);
  });

  it('refuses before verifying the password', async () => {
    const { auth, hasher } = await throttled();
    await fail(auth, 3);
    const verifications = hasher.calls.verify;
    await rejectionOf(auth.login({ email: EMAIL, password: PASSWORD }));
    expect(hasher.calls.verify).toBe(verifications);
  });

  it('says how many whole seconds remain until the window ends', async () => {
    const { auth, clock } = await throttled();
    await fail(auth, 3);
    clock.advance(20_500);
    const error = await rejectionOf<TooManyAttemptsError>(auth.login({ email: EMAIL, password: PASSWORD }));
    expect(error.retryAfterSeconds).toBe(40);
  });

  it('says at least one second when the window ends within the second', async () => {
    const { auth, clock } = await throttled();
    await fail(auth, 3);
    clock.advance(59_999);
    const error = await rejectionOf<TooManyAttemptsError>(auth.login({ email: EMAIL, password: PASSWORD }));
    expect(error.retryAfterSeconds).toBe(1);
  });

  it('lets the account in again once the window has ended', async () => {
    const { auth, clock } = await throttled();
    await fail(auth, 3);
    clock.advance(60_000);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it('forgets the account failures after a success', async () => {
    const { auth } = await throttled();
    await fail(auth, 2);
    await auth.login({ email: EMAIL, password: PASSWORD });
    await fail(auth, 2);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it('counts failures on unknown emails too', async () => {
    const { auth } = await throttled();
    await fail(auth, 3, 'nobody@example.com');
    await expect(auth.login({ email: 'NOBODY@example.com', password: PASSWORD })).rejects.toThrow(
      TooManyAttemptsError,
    );
  });

  it('refuses a client at its limit whatever account it tries', async () => {
    const { auth } = await throttled();
    await fail(auth, 2, 'a@example.com', '203.0.113.7');
    await fail(auth, 2, 'b@example.com', '203.0.113.7');
    await fail(auth, 1, 'c@example.com', '203.0.113.7');
    await expect(
      auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: '203.0.113.7' }),
    ).rejects.toThrow(TooManyAttemptsError);
    await expect(
      auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: '198.51.100.1' }),
    ).resolves.toHaveProperty('accessToken');
  });

  it('does not forget client failures after a success', async () => {
    const { auth } = await throttled();
    await fail(auth, 2, 'a@example.com', 'client');
    await fail(auth, 2, 'b@example.com', 'client');
    await auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: 'client' });
    await fail(auth, 1, 'c@example.com', 'client');
    await expect(auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: 'client' })).rejects.toThrow(
      TooManyAttemptsError,
    );
  });

  it('lets no more parallel attempts on one account reach a password check than its limit', async () => {
    const { auth, hasher } = await throttled();
    const verifications = hasher.calls.verify;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.login({ email: EMAIL, password: 'wrong password' })),
    );
    expect(hasher.calls.verify - verifications).toBe(3);
    const throttledCount = results.filter(
      (result) => result.status === 'rejected' && result.reason instanceof TooManyAttemptsError,
    ).length;
    expect(throttledCount).toBe(47);
  });

  it('lets no more parallel failures of one client reach a password check than its limit', async () => {
    const { auth, hasher } = await throttled();
    const verifications = hasher.calls.verify;
    await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        auth.login({ email: `user${i}@example.com`, password: 'wrong password' }, { clientKey: 'client' }),
      ),
    );
    expect(hasher.calls.verify - verifications).toBe(5);
  });

  it('never locks a client whose logins succeed, however many', async () => {
    const { auth } = await throttled();
    for (let i = 0; i < 20; i++) {
      await expect(
        auth.login({ email: EMAIL, password: PASSWORD }, { clientKey: 'office' }),
      ).resolves.toHaveProperty('accessToken');
    }
  });

  it('does not count invalid input as a failure', async () => {
    const { auth } = await throttled();
    for (let i = 0; i < 5; i++) await rejectionOf(auth.login({ email: EMAIL, password: '' }));
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it('uses 10 failures per account by default', async () => {
    const { auth } = setup();
    await auth.register({ email: EMAIL, password: PASSWORD });
    await fail(auth, 10);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).rejects.toThrow(TooManyAttemptsError);
  });

  it('can be turned off', async () => {
    const { auth } = setup({ throttle: false });
    await auth.register({ email: EMAIL, password: PASSWORD });
    await fail(auth, 20);
    await expect(auth.login({ email: EMAIL, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it.each([
    ['maxFailuresPerAccount', 0],
    ['maxFailuresPerClient', 1.5],
    ['windowSeconds', -1],
  ])('refuses %s = %s', (option, value) => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: SECRET, throttle: { [option]: value } }),
    ).toThrow(new RegExp(`throttle.${option} must be an integer`));
  });

  it('refuses a throttle option that is neither an object nor false', () => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: SECRET, throttle: true as never }),
    ).toThrow(ConfigError);
  });
});
