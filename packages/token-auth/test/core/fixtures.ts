import { expect } from 'vitest';
/**
 * Shared fixtures of the core tests: a manual clock, a fast hasher, a store that records
 * its calls, and a ready-made auth instance over a MemoryStore.
 */

import { createTokenAuth } from '../../src/create-token-auth.js';
import { ValidationError } from '../../src/errors.js';
import { scryptHasher } from '../../src/passwords/scrypt-hasher.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { TokenAuthStore } from '../../src/stores/port.js';
import type { PasswordHasher, TokenAuth, TokenAuthOptions } from '../../src/types.js';

/** A 45-byte test secret (HS256 needs 32). */
export const SECRET = 'test-secret-of-more-than-thirty-two-bytes-000';
/** A start time on a whole second, so that token expiries fall on exact milliseconds. */
export const T0 = Date.UTC(2025, 0, 1);
export const EMAIL = 'user@example.com';
export const PASSWORD = 'correct horse battery';

/** A clock that only moves when told to. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = T0): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/** scrypt with a tiny cost: hashing cost is irrelevant in most tests. */
export function fastHasher(cost = 16): PasswordHasher {
  return scryptHasher({ cost, blockSize: 1 });
}

/** A hasher that counts its calls (wrapping the fast one). */
export function countingHasher(inner: PasswordHasher = fastHasher()): PasswordHasher & {
  calls: { hash: number; verify: number };
} {
  const calls = { hash: 0, verify: 0 };
  return {
    calls,
    hash(password) {
      calls.hash += 1;
      return inner.hash(password);
    },
    verify(hash, password) {
      calls.verify += 1;
      return inner.verify(hash, password);
    },
    needsRehash: (hash) => inner.needsRehash(hash),
  };
}

/** Wraps a store in a Proxy that records the name of every method called. */
export function recordingStore<S extends TokenAuthStore>(store: S): { store: S; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

export interface Setup {
  auth: TokenAuth;
  store: MemoryStore;
  clock: ManualClock;
}

/** An auth instance over a fresh MemoryStore, a manual clock and the fast hasher. */
export function setup(overrides: Partial<TokenAuthOptions> = {}): Setup {
  const clock = manualClock();
  const store = new MemoryStore();
  const auth = createTokenAuth({
    store,
    secret: SECRET,
    now: clock.now,
    passwordHasher: fastHasher(),
    ...overrides,
  });
  return { auth, store, clock };
}

/** Registers {@link EMAIL} / {@link PASSWORD} and logs in. */
export async function loggedIn(auth: TokenAuth, email = EMAIL, password = PASSWORD) {
  const user = await auth.register({ email, password });
  const pair = await auth.login({ email, password });
  return { user, pair };
}

/** The decoded JSON of a JWT segment (0: header, 1: payload). */
export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejectionOf<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

/** The fields named by the ValidationError that `promise` rejects with, in order. */
export async function failingFields(promise: Promise<unknown>): Promise<string[]> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as unknown as ValidationError).fields.map((field) => field.field);
}
