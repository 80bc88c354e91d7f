/**
 * The store port: the small set of atomic operations the token-auth core needs.
 *
 * Four groups: users (a unique email key), sessions (one record per login, whose head is
 * the hash of its current refresh token, moved by one atomic {@link TokenAuthStore.rotate}),
 * settings (values and their history written together) and throttling counters.
 *
 * Every method is atomic on its own (no caller-side read-then-write). Times are epoch
 * milliseconds passed in by the core (its injected clock): an adapter never reads the wall
 * clock to decide validity; it may use it only to garbage-collect records well after they
 * stopped mattering (native TTLs, purges).
 *
 * Errors: an adapter throws `EmailTakenError` for a uniqueness conflict and lets every
 * other failure surface as a rejection (the core wraps it in `StoreError` once). It never
 * turns a failure into "not found".
 *
 * @module
 */

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
  /** Inactive users can neither log in, refresh, nor use their access tokens. */
  isActive: boolean;
  /** Epoch ms of creation. */
  createdAt: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** The fields a store needs to create a user; it assigns `id`. */
export type NewUserRecord = Omit<UserRecord, 'id'>;

/** The fields of a user that can change. `emailKey` changes together with `email`. */
export type UserPatch = {
  [K in 'email' | 'emailKey' | 'username' | 'passwordHash' | 'isStaff' | 'isActive' | 'updatedAt']?:
    | UserRecord[K]
    | undefined;
};

/**
 * A session: the family of refresh tokens descending from one login. Its head is the hash of
 * the one refresh token that is valid now; each refresh moves the head.
 */
export interface SessionRecord {
  /** The session id (a UUID), the `sid` claim of its access tokens. Never changes. */
  id: string;
  /** Owner. */
  userId: number;
  /** Lowercase hex SHA-256 of the current refresh token. */
  headHash: string;
  /**
   * Hash of the head's immediate parent (the token the last rotation consumed), or `null`
   * before the first rotation. A retry with it is a `parent` result, not reuse.
   */
  previousHash: string | null;
  /** Epoch ms of the last rotation (when `previousHash` was consumed), or `null`. */
  rotatedAt: number | null;
  /** Epoch ms of the login. */
  createdAt: number;
  /** Epoch ms of the login or of the last rotation. */
  lastUsedAt: number;
  /** Epoch ms at which the head expires (exclusive: dead when `now >= expiresAt`). */
  expiresAt: number;
  /** The user agent given at login, truncated by the core; `""` when none was given. */
  userAgent: string;
}

/** What {@link TokenAuthStore.startSession} stores: a fresh session, never rotated. */
export type NewSessionRecord = Omit<SessionRecord, 'previousHash' | 'rotatedAt' | 'lastUsedAt'>;

/** The new head passed to {@link TokenAuthStore.rotate}. */
export interface NextHead {
  /** Lowercase hex SHA-256 of the successor refresh token. */
  hash: string;
  /** Epoch ms at which the successor expires. */
  expiresAt: number;
}

/**
 * The outcome of {@link TokenAuthStore.rotate}. Only `rotated` changed anything.
 *
 * - `rotated`: the presented hash was the head of a live session; the head moved.
 * - `parent`: it was the head's immediate parent (`previousHash`) of a live session; nothing
 *   changed. The core treats it as a retry within its grace window, or as reuse after it.
 * - `reused`: it was an older rotated token of a live session; nothing changed (the core
 *   ends the session).
 * - `expired`: it belongs to a session that has expired (`now >= expiresAt`); nothing changed.
 * - `unknown`: no live or expired session knows it (never issued, session ended, or
 *   garbage-collected).
 */
export type RotateResult =
  | {
      /** The head moved. */
      status: 'rotated';
      /** The session after the rotation. */
      session: SessionRecord;
    }
  | {
      /** The presented hash is the head's immediate parent. */
      status: 'parent';
      /** The session as stored (its `rotatedAt` anchors the grace window). */
      session: SessionRecord;
    }
  | {
      /** The presented hash is an older rotated token of the session. */
      status: 'reused';
      /** The session as stored. */
      session: SessionRecord;
    }
  | {
      /** The session has expired. */
      status: 'expired';
    }
  | {
      /** No session knows the presented hash. */
      status: 'unknown';
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
 * The storage port of token-auth. Implement it to keep users, sessions, settings and
 * throttling counters anywhere; run `token-auth/testing`'s conformance suite to prove the
 * implementation. The stores guide walks through each method.
 *
 * @example
 * ```ts
 * import { createTokenAuth, MemoryStore } from 'token-auth';
 * const auth = createTokenAuth({ store: new MemoryStore(), secret });
 * ```
 */
export interface TokenAuthStore {
  /**
   * Creates a user with a fresh id. Atomic: of concurrent creations with one `emailKey`,
   * exactly one succeeds.
   * @param user - Every field but `id`; `emailKey` is already canonical, `passwordHash`
   *   already hashed. Store a copy: later changes to the object must not reach the store.
   * @returns The stored user with its new id: positive, greater than every id assigned
   *   before, never reused (not even after a restart).
   * @throws `EmailTakenError` when `emailKey` is already used.
   */
  createUser(user: NewUserRecord): Awaitable<UserRecord>;
  /**
   * The user with this id, or `undefined`.
   * @param id - The user's id; an id never assigned answers `undefined`, not an error.
   */
  getUserById(id: number): Awaitable<UserRecord | undefined>;
  /**
   * The user with this canonical email, or `undefined`.
   * @param emailKey - The canonical email, matched exactly (the store does no case folding).
   */
  getUserByEmailKey(emailKey: string): Awaitable<UserRecord | undefined>;
  /**
   * Applies `patch` and returns the updated user, or `undefined` when there is no such user.
   * A new `emailKey` is claimed atomically and the old one released.
   * @param id - The user to change.
   * @param patch - The fields to set; absent and `undefined` fields keep their stored value.
   *   A patch repeating the user's own `emailKey` is not a conflict.
   * @returns The user as stored after the change, or `undefined` for an unknown `id`.
   * @throws `EmailTakenError` when the new `emailKey` belongs to another user; nothing is
   *   changed then.
   */
  updateUser(id: number, patch: UserPatch): Awaitable<UserRecord | undefined>;

  /**
   * Stores a new session (a login). `lastUsedAt` starts at `createdAt`; `previousHash` and
   * `rotatedAt` start at `null`.
   * @param session - The session; its `id` and `headHash` are fresh and unique.
   */
  startSession(session: NewSessionRecord): Awaitable<void>;
  /**
   * Atomically moves a session's head. When `presentedHash` is the head of a session with
   * `now < expiresAt`, sets `previousHash` to it, `headHash` to `next.hash`, `expiresAt` to
   * `next.expiresAt`, and `rotatedAt` and `lastUsedAt` to `now`, and answers `rotated`. Of
   * concurrent calls with one hash, exactly one answers `rotated`; the others see what the
   * winner left (`parent`). Every other answer changes nothing; see {@link RotateResult}.
   * The presented token must stay recognisable (`parent`, `reused`) for as long as its
   * session lives and the token itself would have lived.
   * @param presentedHash - Lowercase hex SHA-256 of the presented refresh token.
   * @param next - The successor's hash (fresh and unique) and expiry.
   * @param now - The core's clock, epoch ms: decides expiry and becomes `rotatedAt`.
   * @returns What the presented token was.
   */
  rotate(presentedHash: string, next: NextHead, now: number): Awaitable<RotateResult>;
  /**
   * Ends one session of one user: afterwards none of its tokens rotates (`unknown`). Of
   * concurrent calls for one session, exactly one answers `true`.
   * @param userId - The owner; a session of another user is left alone and answers `false`.
   * @param sessionId - The session.
   * @returns `true` when this call ended the session, `false` when there was no such
   *   session of this user (never existed, another owner, already ended).
   */
  endSession(userId: number, sessionId: string): Awaitable<boolean>;
  /**
   * Ends every session of a user, optionally but one.
   * @param userId - The owner.
   * @param options - `except`: a session id to keep.
   * @returns How many sessions this call ended; a session ended concurrently by another
   *   call is counted by one of them only.
   */
  endUserSessions(userId: number, options?: { except?: string | undefined }): Awaitable<number>;
  /**
   * The user's live sessions (`now < expiresAt`), oldest first.
   * @param userId - The owner.
   * @param now - The core's clock, epoch ms.
   * @returns The sessions by `createdAt` ascending; `[]` when there is none.
   */
  listSessions(userId: number, now: number): Awaitable<SessionRecord[]>;

  /**
   * The stored settings, or `undefined` when none were ever saved. Keys never saved are
   * absent (the core falls back to its defaults).
   */
  getSettings(): Awaitable<Partial<StoredSettings> | undefined>;
  /**
   * Atomically saves `values` (merged over what is stored) and appends `changes` to the
   * history: a reader sees both or neither.
   * @param values - The settings to save; keys absent or `undefined` keep their value.
   * @param changes - History entries to append, in order (the last is the newest).
   */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Awaitable<void>;
  /**
   * The settings history, newest first, at most `limit` entries.
   * @param limit - The most entries to return, a positive integer (the core passes 1 to 1000).
   * @returns The entries, newest first; `[]` before any change.
   */
  listSettingsHistory(limit: number): Awaitable<SettingsChange[]>;

  /**
   * Atomically counts one hit on `key` in a fixed window of `windowMs` starting at the
   * first hit; a window that ended (`now >= resetAt`) restarts at 1.
   * @param key - The counter, for example `login:account:<emailKey>`.
   * @param windowMs - Length of a new window in milliseconds (a running window keeps its end).
   * @param now - The core's clock, epoch ms.
   * @returns The count including this hit and the end of its window, epoch ms.
   */
  hit(key: string, windowMs: number, now: number): Awaitable<HitResult>;
  /**
   * The current count of `key` at `now` without adding a hit; `{ count: 0, resetAt: now }`
   * when there is no counter or its window has ended.
   * @param key - The counter, as passed to {@link TokenAuthStore.hit}.
   * @param now - The core's clock, epoch ms.
   * @returns The hits of the live window and when it ends.
   */
  peekHits(key: string, now: number): Awaitable<HitResult>;
  /**
   * Forgets the counter of `key`: the next {@link TokenAuthStore.hit} starts a new window at 1.
   * @param key - The counter; an unknown key is not an error.
   */
  resetHits(key: string): Awaitable<void>;

  /** Releases connections and files. The store is unusable afterwards. */
  close(): Awaitable<void>;
}
