/**
 * The store port: the small set of atomic operations the token-auth core needs.
 *
 * Every method is atomic on its own (no caller-side read-then-write); an adapter that
 * cannot make one atomic must say so in its documentation. Times are epoch
 * milliseconds and are always passed in by the core (its injected clock), so an adapter
 * never reads the wall clock to decide validity; it may use it only to garbage-collect
 * records (native TTLs) well after they stopped mattering.
 *
 * Errors: an adapter throws {@link EmailTakenError} for a uniqueness conflict and lets
 * every other failure surface (wrapping it in {@link StoreError} is welcome). It never
 * turns a failure into "not found".
 *
 * @module
 */

// biome-ignore lint/correctness/noUnusedImports: referenced by the TSDoc links below.
import type { EmailTakenError, StoreError } from '../errors.js';

/** A value or a promise of it, so synchronous and asynchronous adapters both fit. */
export type Awaitable<T> = T | Promise<T>;

/** A user as stored. */
export interface UserRecord {
  /** Positive integer id, assigned by the store, never reused. */
  id: number;
  /** The email as the user gave it (trimmed). */
  email: string;
  /** The canonical form used for uniqueness: `email.toLowerCase()`. */
  emailKey: string;
  /** Free-text display name; `""` by default. */
  username: string;
  /** Self-describing password hash (PHC string), parameters included. */
  passwordHash: string;
  /** Staff users may read and change the runtime settings. */
  isStaff: boolean;
  /** Inactive users can neither log in nor refresh. */
  isActive: boolean;
  /** Epoch ms of creation. */
  createdAt: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** The fields a store needs to create a user; it assigns `id`. */
export type NewUserRecord = Omit<UserRecord, 'id'>;

/** The fields of a user that can change. `emailKey` changes together with `email`. */
export type UserPatch = Partial<
  Pick<UserRecord, 'email' | 'emailKey' | 'username' | 'passwordHash' | 'isStaff' | 'isActive' | 'updatedAt'>
>;

/** A refresh token as stored: only its hash, never the token itself. */
export interface RefreshTokenRecord {
  /** Lowercase hex SHA-256 of the token the client holds. The record's key. */
  tokenHash: string;
  /** Owner. */
  userId: number;
  /** Every token descending from one login shares a family id (a UUID). */
  familyId: string;
  /** Epoch ms of issue. */
  createdAt: number;
  /** Epoch ms after which the token is dead (exclusive: dead when `now >= expiresAt`). */
  expiresAt: number;
  /**
   * Epoch ms at which the token was rotated (consumed by a refresh), or `null` while it
   * is current. A rotated token is kept until it expires, so that presenting it again is
   * recognised as reuse.
   */
  rotatedAt: number | null;
}

/** The outcome of {@link TokenAuthStore.consumeRefreshToken}. */
export type ConsumeResult =
  | {
      /** The token was current and unexpired; it is now marked rotated. */
      status: 'consumed';
      /** The token as stored now, `rotatedAt` set to the `now` passed in. */
      record: RefreshTokenRecord;
    }
  | {
      /** The token had already been rotated: reuse. Nothing was changed. */
      status: 'reused';
      /** The token as stored, with the `rotatedAt` of its first use. */
      record: RefreshTokenRecord;
    }
  | {
      /** The token had expired (it may be deleted). */
      status: 'expired';
      /** The token as it was stored. */
      record: RefreshTokenRecord;
    }
  | {
      /** No such token (never issued, revoked, or garbage-collected). */
      status: 'missing';
    };

/** The runtime settings, as stored: whole seconds. */
export interface StoredSettings {
  /** Access-token lifetime in whole seconds. */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in whole seconds. */
  refreshTokenTtlSeconds: number;
}

/** One entry of the settings history: a change of one setting. */
export interface SettingsChange {
  /** The setting that changed. */
  key: keyof StoredSettings;
  /** Its value before the change (the default when it had never been set). */
  oldValue: number;
  /** Its value after the change. */
  newValue: number;
  /** Epoch ms of the change. */
  changedAt: number;
  /** Id of the user who made the change, or `null` for a system change. */
  changedBy: number | null;
}

/** The state of one throttling counter after {@link TokenAuthStore.hit}. */
export interface HitResult {
  /** Number of hits in the current window, this one included. */
  count: number;
  /** Epoch ms at which the current window ends and the counter restarts. */
  resetAt: number;
}

/**
 * The storage port of token-auth. Implement it to keep users, refresh tokens, settings
 * and throttling counters anywhere; run `token-auth/testing`'s conformance suite to
 * prove the implementation.
 *
 * @example
 * ```ts
 * import { createTokenAuth, MemoryStore } from 'token-auth';
 * const auth = createTokenAuth({ store: new MemoryStore(), secret });
 * ```
 */
export interface TokenAuthStore {
  /**
   * Creates a user with a fresh id. Atomic: of concurrent creations with one
   * `emailKey`, exactly one succeeds.
   * @param user - Every field but `id`; `emailKey` is already canonical (the core lowercases
   *   it), `passwordHash` already hashed. Store a copy: later changes to the object by the
   *   caller must not reach the store.
   * @returns The stored user with its new id: positive, greater than every id assigned
   *   before, never reused (not even after a restart).
   * @throws {@link EmailTakenError} when `emailKey` is already used.
   */
  createUser(user: NewUserRecord): Awaitable<UserRecord>;
  /**
   * The user with this id, or `undefined`.
   * @param id - The user's id; an id never assigned answers `undefined`, not an error.
   */
  getUserById(id: number): Awaitable<UserRecord | undefined>;
  /**
   * The user with this canonical email, or `undefined`.
   * @param emailKey - The canonical email (`email.toLowerCase()`), matched exactly: the
   *   store does no case folding of its own.
   */
  getUserByEmailKey(emailKey: string): Awaitable<UserRecord | undefined>;
  /**
   * Applies `patch` and returns the updated user, or `undefined` when there is no such
   * user. When `patch.emailKey` changes, the new key is claimed atomically and the old
   * one released.
   * @param id - The user to change.
   * @param patch - The fields to set; absent and `undefined` fields keep their stored value.
   *   A patch repeating the user's own `emailKey` is not a conflict.
   * @returns The user as stored after the change, or `undefined` for an unknown `id` (no
   *   user is created).
   * @throws {@link EmailTakenError} when the new `emailKey` belongs to another user; nothing
   *   is changed then.
   */
  updateUser(id: number, patch: UserPatch): Awaitable<UserRecord | undefined>;

  /**
   * Stores a new refresh token record (its `tokenHash` is fresh and unique).
   * @param record - The record to store, `rotatedAt: null`; times in epoch ms. An adapter
   *   with native TTLs may expire it some time after `expiresAt`, never before.
   */
  createRefreshToken(record: RefreshTokenRecord): Awaitable<void>;
  /**
   * Atomically consumes a refresh token: if it is current and `now < expiresAt`, marks it
   * rotated at `now` and returns `consumed`. Of concurrent calls with one hash, at most
   * one returns `consumed`. A token with `now >= expiresAt` answers `expired` (or
   * `missing` once garbage-collected) whether or not it was rotated.
   * @param tokenHash - Lowercase hex SHA-256 of the presented token.
   * @param now - The core's clock, epoch ms: decides expiry (`now >= expiresAt` is expired)
   *   and becomes `rotatedAt`. The wall clock is never used instead.
   * @returns What the token was: `consumed`, `reused`, `expired` or `missing`; only
   *   `consumed` changes anything.
   */
  consumeRefreshToken(tokenHash: string, now: number): Awaitable<ConsumeResult>;
  /**
   * Atomically deletes one refresh token and returns what it was, or `undefined` when it
   * did not exist. Of concurrent calls with one hash, at most one returns a record.
   * @param tokenHash - Lowercase hex SHA-256 of the token. Current, rotated and expired
   *   tokens alike are deleted.
   * @returns The record as it was stored (`rotatedAt` included), or `undefined`.
   */
  deleteRefreshToken(tokenHash: string): Awaitable<RefreshTokenRecord | undefined>;
  /**
   * Deletes every token of a family, rotated ones included.
   * @param familyId - The family (session) id shared by the tokens of one login.
   * @returns How many tokens this call deleted: `0` for an unknown or already deleted
   *   family; a token deleted concurrently by another call is counted by one of them only.
   */
  deleteRefreshTokenFamily(familyId: string): Awaitable<number>;
  /**
   * Deletes every token of a user, across all of its families, rotated ones included.
   * @param userId - The owner.
   * @returns How many tokens this call deleted (`0` when the user has none); a token
   *   deleted concurrently by another call is counted by one of them only.
   */
  deleteUserRefreshTokens(userId: number): Awaitable<number>;
  /**
   * The user's refresh tokens that are current (`rotatedAt === null`) and unexpired at
   * `now`, oldest first.
   * @param userId - The owner.
   * @param now - The core's clock, epoch ms: tokens with `now >= expiresAt` are left out.
   * @returns One record per live session, by `createdAt` ascending; `[]` when there is none.
   */
  listUserRefreshTokens(userId: number, now: number): Awaitable<RefreshTokenRecord[]>;

  /**
   * The stored settings, or `undefined` when none were ever saved. Keys never saved are
   * absent (the core falls back to its defaults).
   */
  getSettings(): Awaitable<Partial<StoredSettings> | undefined>;
  /**
   * Atomically saves `values` (merged over what is stored) and appends `changes` to the
   * history: a reader sees both or neither.
   * @param values - The settings to save, in whole seconds; keys absent or `undefined`
   *   keep their stored value.
   * @param changes - History entries to append, in order (the last is the newest); may
   *   be empty.
   */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Awaitable<void>;
  /**
   * The settings history, newest first, at most `limit` entries.
   * @param limit - The most entries to return, a positive integer (the core passes 1 to
   *   1000); the newest are kept.
   * @returns The entries, newest first; `[]` before any change.
   */
  listSettingsHistory(limit: number): Awaitable<SettingsChange[]>;

  /**
   * Atomically counts one hit on `key` in a fixed window of `windowMs` starting at the
   * first hit; a window that ended before `now` restarts at 1.
   * @param key - The counter, for example `login:account:<emailKey>`; keys are independent.
   * @param windowMs - Length of a new window in milliseconds; used only when this hit
   *   starts one (a running window keeps its end).
   * @param now - The core's clock, epoch ms: a window has ended when `now >= resetAt`.
   * @returns The count including this hit and the end of its window, epoch ms.
   */
  hit(key: string, windowMs: number, now: number): Awaitable<HitResult>;
  /**
   * The current count of `key` at `now` without adding a hit; `{ count: 0, resetAt: now }`
   * when there is no counter or its window has ended.
   * @param key - The counter, as passed to {@link TokenAuthStore.hit}.
   * @param now - The core's clock, epoch ms: a window has ended when `now >= resetAt`.
   * @returns The hits of the live window and when it ends.
   */
  peekHits(key: string, now: number): Awaitable<HitResult>;
  /**
   * Forgets the counter of `key`: the next {@link TokenAuthStore.hit} starts a new window
   * at 1.
   * @param key - The counter; an unknown key is not an error.
   */
  resetHits(key: string): Awaitable<void>;

  /** Releases connections and files. The store is unusable afterwards. */
  close(): Awaitable<void>;
}
