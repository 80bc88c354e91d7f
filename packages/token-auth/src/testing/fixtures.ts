/**
 * Shared fixtures of the store tests: a manual clock, user, session and head makers, and the
 * email-conflict check. Exported once from `token-auth/testing` so that adapters' own tests
 * reuse them instead of rewriting them.
 *
 * @module
 */

import { createHash, randomUUID } from 'node:crypto';
import type {
  NewSessionRecord,
  NewUserRecord,
  NextHead,
  SessionRecord,
  SettingsChange,
} from '../stores/port.js';

/** One minute in milliseconds: the default lifetime of the sessions made by {@link newSession}. */
export const MINUTE_MS = 60_000;

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** A clock that only moves when told to, for the core's `now` option and the store calls. */
export interface ManualClock {
  /** The current time, epoch ms. */
  now: () => number;
  /**
   * Moves the clock forward.
   * @param ms - Milliseconds to add.
   * @returns The new time, epoch ms.
   */
  advance(ms: number): number;
}

/**
 * A clock that starts at `start` and moves only when {@link ManualClock.advance} is called.
 *
 * @param start - The first time, epoch ms.
 * @returns The clock.
 * @example
 * ```ts
 * const clock = manualClock(Date.UTC(2025, 0, 1));
 * const auth = createTokenAuth({ store, secret, now: clock.now });
 * clock.advance(60_000);
 * ```
 */
export function manualClock(start: number): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
      return time;
    },
  };
}

/**
 * The lowercase hex SHA-256 of `token`: what the core stores for a refresh token.
 *
 * @param token - Any string, for example a refresh token.
 * @returns 64 lowercase hex digits.
 * @example
 * ```ts
 * await store.rotate(hashOf('token-1'), newHead(now + 60_000), now);
 * ```
 */
export function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * A fresh, never-issued refresh-token hash.
 *
 * @returns The hash of a random UUID.
 * @example
 * ```ts
 * assert.deepEqual(await store.rotate(freshHash(), newHead(now + 1), now), { status: 'unknown' });
 * ```
 */
export function freshHash(): string {
  return hashOf(randomUUID());
}

/**
 * A user record as a store receives it, with the email key the core would derive.
 *
 * @param email - The email; its key is its lower-case form.
 * @param fields - Fields to override.
 * @returns A new user record (a fresh object on every call).
 * @example
 * ```ts
 * const ada = await store.createUser(newUser('ada@example.com'));
 * ```
 */
export function newUser(email: string, fields: Partial<NewUserRecord> = {}): NewUserRecord {
  return {
    email,
    emailKey: email.toLowerCase(),
    username: '',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    isStaff: false,
    isActive: true,
    createdAt: 1_000,
    updatedAt: 1_000,
    ...fields,
  };
}

/**
 * A session as passed to `startSession`: a fresh id and head hash, a one-minute lifetime
 * unless `expiresAt` is given.
 *
 * @param fields - `userId` and `createdAt` are required; any other field overrides the default.
 * @returns A new session record.
 * @example
 * ```ts
 * const session = newSession({ userId: ada.id, createdAt: now });
 * await store.startSession(session);
 * ```
 */
export function newSession(
  fields: Pick<NewSessionRecord, 'userId' | 'createdAt'> & Partial<NewSessionRecord>,
): NewSessionRecord {
  return {
    id: randomUUID(),
    headHash: freshHash(),
    expiresAt: fields.createdAt + MINUTE_MS,
    userAgent: 'conformance-agent/1.0',
    ...fields,
  };
}

/**
 * The record a store holds right after `startSession(session)`: `lastUsedAt` at
 * `createdAt`, no rotation yet.
 *
 * @param session - What was passed to `startSession`.
 * @returns The expected stored session.
 * @example
 * ```ts
 * assert.deepEqual(await store.listSessions(ada.id, now), [storedSession(session)]);
 * ```
 */
export function storedSession(session: NewSessionRecord): SessionRecord {
  return { ...session, previousHash: null, rotatedAt: null, lastUsedAt: session.createdAt };
}

/**
 * A successor head for `rotate`: a fresh hash expiring at `expiresAt`.
 *
 * @param expiresAt - Epoch ms at which the successor expires.
 * @returns The next head.
 * @example
 * ```ts
 * const result = await store.rotate(session.headHash, newHead(now + 60_000), now);
 * ```
 */
export function newHead(expiresAt: number): NextHead {
  return { hash: freshHash(), expiresAt };
}

/**
 * One settings-history entry.
 *
 * @param key - The setting.
 * @param oldValue - Its value before.
 * @param newValue - Its value after.
 * @param changedAt - Epoch ms of the change.
 * @param changedBy - The user who made it, or `null`.
 * @returns The entry.
 * @example
 * ```ts
 * await store.updateSettings({ accessTokenTtlSeconds: 60 }, [settingsChange('accessTokenTtlSeconds', 30, 60, now, 1)]);
 * ```
 */
export function settingsChange(
  key: SettingsChange['key'],
  oldValue: number,
  newValue: number,
  changedAt: number,
  changedBy: number | null,
): SettingsChange {
  return { key, oldValue, newValue, changedAt, changedBy };
}

/**
 * Whether `error` is an `email_taken` error, by its `code` (so that two copies of the
 * package still match).
 *
 * @param error - What a store threw.
 * @returns `true` for an `EmailTakenError`.
 * @example
 * ```ts
 * await assert.rejects(store.createUser(newUser('ada@example.com')), isEmailTaken);
 * ```
 */
export function isEmailTaken(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'email_taken';
}
