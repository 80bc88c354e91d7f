/**
 * The in-memory store: every record in `Map`s of this process.
 *
 * @module
 */

import { ConfigError, EmailTakenError, StoreError } from '../errors.js';
import { definedFields, millisecondsOption } from '../lib/options.js';
import type {
  ConsumeResult,
  HitResult,
  NewUserRecord,
  RefreshTokenRecord,
  SettingsChange,
  StoredSettings,
  TokenAuthStore,
  UserPatch,
  UserRecord,
} from './port.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long, in milliseconds, an expired refresh token or throttling counter is kept
   * after it stopped mattering before the sweep drops it. While it is kept, consuming an
   * expired token answers `expired` rather than `missing`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number;
  /**
   * Minimum interval, in milliseconds of the callers' clock, between two automatic sweeps.
   * @defaultValue `60_000`
   */
  sweepIntervalMs?: number;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number;
}

interface Counter {
  count: number;
  resetAt: number;
}

/**
 * A {@link TokenAuthStore} that keeps everything in memory: for tests, demos and
 * single-process servers that may lose their sessions on restart.
 *
 * Every operation is synchronous, hence atomic within the process. Records are copied in
 * and out (`structuredClone`), so callers cannot change stored state by mutating what
 * they passed or got. Expired refresh tokens and counters are swept without a timer: the
 * store remembers the latest time its callers passed in (`now` arguments and token
 * `createdAt`) and, at most once per `sweepIntervalMs`, drops what expired more than
 * `gcGraceMs` before it. {@link MemoryStore.sweep} does the same on demand.
 *
 * @example
 * ```ts
 * import { createTokenAuth, MemoryStore } from 'token-auth';
 *
 * const auth = createTokenAuth({ store: new MemoryStore(), secret: process.env.JWT_SECRET });
 * ```
 */
export class MemoryStore implements TokenAuthStore {
  readonly #gcGraceMs: number;
  readonly #sweepIntervalMs: number;
  readonly #maxHistoryEntries: number;

  readonly #users = new Map<number, UserRecord>();
  readonly #userIdByEmailKey = new Map<string, number>();
  #lastUserId = 0;

  readonly #tokens = new Map<string, RefreshTokenRecord>();
  readonly #tokensByFamily = new Map<string, Set<string>>();
  readonly #tokensByUser = new Map<number, Set<string>>();
  /** Each user's unrotated tokens: what listing reads, however many rotations came before. */
  readonly #currentByUser = new Map<number, Set<string>>();

  #settings: Partial<StoredSettings> | undefined;
  #history: SettingsChange[] = [];

  readonly #counters = new Map<string, Counter>();

  #latestNow = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;
  #closed = false;

  /**
   * @param options - Garbage-collection and history limits; every field is optional.
   * @throws {@link ConfigError} when an option is not a non-negative number
   *   (`maxHistoryEntries`: a positive integer).
   * @example
   * ```ts
   * const store = new MemoryStore({ maxHistoryEntries: 100 });
   * ```
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#gcGraceMs = millisecondsOption('gcGraceMs', options.gcGraceMs, 60_000);
    this.#sweepIntervalMs = millisecondsOption('sweepIntervalMs', options.sweepIntervalMs, 60_000);
    const maxHistory = options.maxHistoryEntries ?? 1000;
    if (!Number.isInteger(maxHistory) || maxHistory < 1) {
      throw new ConfigError('maxHistoryEntries must be a positive integer');
    }
    this.#maxHistoryEntries = maxHistory;
  }

  /** {@inheritDoc TokenAuthStore.createUser} */
  createUser(user: NewUserRecord): UserRecord {
    this.#assertOpen();
    if (this.#userIdByEmailKey.has(user.emailKey))
      throw new EmailTakenError('This email is already registered');
    const record: UserRecord = { ...structuredClone(user), id: ++this.#lastUserId };
    this.#users.set(record.id, record);
    this.#userIdByEmailKey.set(record.emailKey, record.id);
    return structuredClone(record);
  }

  /** {@inheritDoc TokenAuthStore.getUserById} */
  getUserById(id: number): UserRecord | undefined {
    this.#assertOpen();
    const user = this.#users.get(id);
    return user && structuredClone(user);
  }

  /** {@inheritDoc TokenAuthStore.getUserByEmailKey} */
  getUserByEmailKey(emailKey: string): UserRecord | undefined {
    this.#assertOpen();
    const id = this.#userIdByEmailKey.get(emailKey);
    return id === undefined ? undefined : this.getUserById(id);
  }

  /** {@inheritDoc TokenAuthStore.updateUser} */
  updateUser(id: number, patch: UserPatch): UserRecord | undefined {
    this.#assertOpen();
    const user = this.#users.get(id);
    if (!user) return undefined;
    const updated: UserRecord = { ...user, ...definedFields(structuredClone(patch)), id };
    if (updated.emailKey !== user.emailKey) {
      const owner = this.#userIdByEmailKey.get(updated.emailKey);
      if (owner !== undefined && owner !== id) throw new EmailTakenError('This email is already registered');
      this.#userIdByEmailKey.delete(user.emailKey);
      this.#userIdByEmailKey.set(updated.emailKey, id);
    }
    this.#users.set(id, updated);
    return structuredClone(updated);
  }

  /** {@inheritDoc TokenAuthStore.createRefreshToken} */
  createRefreshToken(record: RefreshTokenRecord): void {
    this.#assertOpen();
    this.#observe(record.createdAt);
    const stored = structuredClone(record);
    this.#removeToken(stored.tokenHash);
    this.#tokens.set(stored.tokenHash, stored);
    addToIndex(this.#tokensByFamily, stored.familyId, stored.tokenHash);
    addToIndex(this.#tokensByUser, stored.userId, stored.tokenHash);
    if (stored.rotatedAt === null) addToIndex(this.#currentByUser, stored.userId, stored.tokenHash);
  }

  /** {@inheritDoc TokenAuthStore.consumeRefreshToken} */
  consumeRefreshToken(tokenHash: string, now: number): ConsumeResult {
    this.#assertOpen();
    this.#observe(now);
    const record = this.#tokens.get(tokenHash);
    if (!record) return { status: 'missing' };
    if (now >= record.expiresAt) {
      this.#removeToken(tokenHash);
      return { status: 'expired', record: structuredClone(record) };
    }
    if (record.rotatedAt !== null) return { status: 'reused', record: structuredClone(record) };
    record.rotatedAt = now;
    removeFromIndex(this.#currentByUser, record.userId, tokenHash);
    return { status: 'consumed', record: structuredClone(record) };
  }

  /** {@inheritDoc TokenAuthStore.deleteRefreshToken} */
  deleteRefreshToken(tokenHash: string): RefreshTokenRecord | undefined {
    this.#assertOpen();
    return this.#removeToken(tokenHash);
  }

  /** {@inheritDoc TokenAuthStore.deleteRefreshTokenFamily} */
  deleteRefreshTokenFamily(familyId: string): number {
    this.#assertOpen();
    return this.#removeAll(this.#tokensByFamily.get(familyId));
  }

  /** {@inheritDoc TokenAuthStore.deleteUserRefreshTokens} */
  deleteUserRefreshTokens(userId: number): number {
    this.#assertOpen();
    return this.#removeAll(this.#tokensByUser.get(userId));
  }

  /** {@inheritDoc TokenAuthStore.listUserRefreshTokens} */
  listUserRefreshTokens(userId: number, now: number): RefreshTokenRecord[] {
    this.#assertOpen();
    this.#observe(now);
    const result: RefreshTokenRecord[] = [];
    for (const hash of this.#currentByUser.get(userId) ?? []) {
      const record = this.#tokens.get(hash);
      if (record && record.rotatedAt === null && now < record.expiresAt) result.push(structuredClone(record));
    }
    // Sets keep insertion order; the sort is stable, so equal createdAt keep it too.
    return result.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** {@inheritDoc TokenAuthStore.getSettings} */
  getSettings(): Partial<StoredSettings> | undefined {
    this.#assertOpen();
    return this.#settings && { ...this.#settings };
  }

  /** {@inheritDoc TokenAuthStore.updateSettings} */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): void {
    this.#assertOpen();
    this.#settings = { ...this.#settings, ...definedFields(values) };
    this.#history.push(...changes.map((change) => ({ ...change })));
    if (this.#history.length > this.#maxHistoryEntries) {
      this.#history = this.#history.slice(-this.#maxHistoryEntries);
    }
  }

  /** {@inheritDoc TokenAuthStore.listSettingsHistory} */
  listSettingsHistory(limit: number): SettingsChange[] {
    this.#assertOpen();
    const count = Math.max(0, Math.floor(limit));
    const newestFirst: SettingsChange[] = [];
    for (let i = this.#history.length - 1; i >= 0 && newestFirst.length < count; i--) {
      newestFirst.push({ ...(this.#history[i] as SettingsChange) });
    }
    return newestFirst;
  }

  /** {@inheritDoc TokenAuthStore.hit} */
  hit(key: string, windowMs: number, now: number): HitResult {
    this.#assertOpen();
    this.#observe(now);
    const counter = this.#counters.get(key);
    if (!counter || now >= counter.resetAt) {
      const fresh = { count: 1, resetAt: now + windowMs };
      this.#counters.set(key, fresh);
      return { ...fresh };
    }
    counter.count += 1;
    return { ...counter };
  }

  /**
   * The current count of `key` at `now` without adding a hit. With no live window it
   * answers `{ count: 0, resetAt: now }`.
   *
   * @param key - The counter's key.
   * @param now - The caller's clock, epoch ms.
   * @returns The hits of the current window and when it ends.
   */
  peekHits(key: string, now: number): HitResult {
    this.#assertOpen();
    this.#observe(now);
    const counter = this.#counters.get(key);
    if (!counter || now >= counter.resetAt) return { count: 0, resetAt: now };
    return { ...counter };
  }

  /** {@inheritDoc TokenAuthStore.resetHits} */
  resetHits(key: string): void {
    this.#assertOpen();
    this.#counters.delete(key);
  }

  /** {@inheritDoc TokenAuthStore.close} */
  close(): void {
    this.#closed = true;
    this.#users.clear();
    this.#userIdByEmailKey.clear();
    this.#tokens.clear();
    this.#tokensByFamily.clear();
    this.#tokensByUser.clear();
    this.#currentByUser.clear();
    this.#counters.clear();
    this.#history = [];
    this.#settings = undefined;
  }

  /**
   * Drops the refresh tokens and counters that expired at least `gcGraceMs` before `now`.
   * The store also does this by itself as its callers' clock advances; call it to force
   * a sweep, for example before counting records.
   *
   * @param now - Epoch ms to sweep at.
   * @returns How many records were dropped.
   * @example
   * ```ts
   * store.sweep(Date.now());
   * ```
   */
  sweep(now: number): number {
    this.#assertOpen();
    const deadline = now - this.#gcGraceMs;
    let dropped = 0;
    for (const [hash, record] of this.#tokens) {
      if (record.expiresAt <= deadline) {
        this.#removeToken(hash);
        dropped++;
      }
    }
    for (const [key, counter] of this.#counters) {
      if (counter.resetAt <= deadline) {
        this.#counters.delete(key);
        dropped++;
      }
    }
    this.#lastSweep = now;
    return dropped;
  }

  /**
   * How many records the store holds: users, refresh tokens, counters, history entries
   * and the settings (one record when saved). Meant for tests and monitoring.
   *
   * @returns The number of records.
   * @example
   * ```ts
   * store.sweep(Date.now());
   * console.log(store.size());
   * ```
   */
  size(): number {
    this.#assertOpen();
    return (
      this.#users.size +
      this.#tokens.size +
      this.#counters.size +
      this.#history.length +
      (this.#settings === undefined ? 0 : 1)
    );
  }

  #observe(now: number): void {
    if (!(now > this.#latestNow)) return;
    this.#latestNow = now;
    if (now - this.#lastSweep >= this.#sweepIntervalMs) this.sweep(now);
  }

  #removeToken(tokenHash: string): RefreshTokenRecord | undefined {
    const record = this.#tokens.get(tokenHash);
    if (!record) return undefined;
    this.#tokens.delete(tokenHash);
    removeFromIndex(this.#tokensByFamily, record.familyId, tokenHash);
    removeFromIndex(this.#tokensByUser, record.userId, tokenHash);
    removeFromIndex(this.#currentByUser, record.userId, tokenHash);
    return record;
  }

  #removeAll(hashes: Set<string> | undefined): number {
    if (!hashes) return 0;
    let removed = 0;
    for (const hash of [...hashes]) if (this.#removeToken(hash)) removed++;
    return removed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('The store is closed');
  }
}

function addToIndex<K>(index: Map<K, Set<string>>, key: K, hash: string): void {
  let hashes = index.get(key);
  if (!hashes) {
    hashes = new Set();
    index.set(key, hashes);
  }
  hashes.add(hash);
}

function removeFromIndex<K>(index: Map<K, Set<string>>, key: K, hash: string): void {
  const hashes = index.get(key);
  if (!hashes) return;
  hashes.delete(hash);
  if (hashes.size === 0) index.delete(key);
}
