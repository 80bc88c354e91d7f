/**
 * The in-memory store: every record in `Map`s of this process. The reference
 * implementation of the port.
 *
 * @module
 */

import { ConfigError, EmailTakenError } from '../errors.js';
import { definedFields, millisecondsOption } from '../lib/options.js';
import { liveHits, nextHit, notHead } from '../lib/session-rules.js';
import type {
  HitResult,
  NewSessionRecord,
  NewUserRecord,
  NextHead,
  RotateResult,
  SessionRecord,
  SettingsChange,
  StoredSettings,
  TokenAuthStore,
  UserPatch,
  UserRecord,
} from './port.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long, in milliseconds, an expired session, rotated token or throttling counter is
   * kept after it stopped mattering before the sweep drops it. While an expired session is
   * kept, its tokens answer `expired` rather than `unknown`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number | undefined;
  /**
   * Minimum interval, in milliseconds of the callers' clock, between two automatic sweeps.
   * @defaultValue `60_000`
   */
  sweepIntervalMs?: number | undefined;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number | undefined;
}

/** Where a token hash leads: its session, and the token's own expiry (for the sweep). */
interface TokenEntry {
  sessionId: string;
  expiresAt: number;
}

/**
 * A {@link TokenAuthStore} that keeps everything in memory: for tests, demos and
 * single-process servers that may lose their sessions on restart.
 *
 * Every method is synchronous, hence atomic within the process. Records are copied in and
 * out, so callers cannot change stored state by mutating what they passed or got. Besides
 * the sessions, one index maps every hash a session has had to it (the head and each token
 * a rotation consumed), which tells `parent` and `reused` apart from `unknown`. Expired
 * records are swept without a timer: at most once per `sweepIntervalMs` of the callers'
 * clock (the latest `now` passed in), the store drops what expired more than `gcGraceMs`
 * before; {@link MemoryStore.sweep} does the same on demand. The stores guide has more.
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

  readonly #sessions = new Map<string, SessionRecord>();
  /** Every hash a session has had, head and rotated ones, to its session. */
  readonly #tokens = new Map<string, TokenEntry>();

  #settings: Partial<StoredSettings> | undefined;
  #history: SettingsChange[] = [];
  readonly #counters = new Map<string, HitResult>();

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
    const record: UserRecord = { ...user, id: ++this.#lastUserId };
    this.#users.set(record.id, record);
    this.#userIdByEmailKey.set(record.emailKey, record.id);
    return { ...record };
  }

  /** {@inheritDoc TokenAuthStore.getUserById} */
  getUserById(id: number): UserRecord | undefined {
    this.#assertOpen();
    const user = this.#users.get(id);
    return user && { ...user };
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
    const updated: UserRecord = { ...user, ...definedFields(patch), id };
    if (updated.emailKey !== user.emailKey) {
      if (this.#userIdByEmailKey.has(updated.emailKey))
        throw new EmailTakenError('This email is already registered');
      this.#userIdByEmailKey.delete(user.emailKey);
      this.#userIdByEmailKey.set(updated.emailKey, id);
    }
    this.#users.set(id, updated);
    return { ...updated };
  }

  /** {@inheritDoc TokenAuthStore.startSession} */
  startSession(session: NewSessionRecord): void {
    this.#assertOpen();
    this.#observe(session.createdAt);
    const record: SessionRecord = {
      ...session,
      previousHash: null,
      rotatedAt: null,
      lastUsedAt: session.createdAt,
    };
    this.#sessions.set(record.id, record);
    this.#tokens.set(record.headHash, { sessionId: record.id, expiresAt: record.expiresAt });
  }

  /** {@inheritDoc TokenAuthStore.rotate} */
  rotate(presentedHash: string, next: NextHead, now: number): RotateResult {
    this.#assertOpen();
    this.#observe(now);
    const token = this.#tokens.get(presentedHash);
    const session = token && this.#sessions.get(token.sessionId);
    if (!session) return { status: 'unknown' };
    if (now >= session.expiresAt || presentedHash !== session.headHash) {
      return notHead({ ...session }, presentedHash, now);
    }
    // The consumed head keeps its entry, with its own expiry (the session's until now).
    Object.assign(session, {
      headHash: next.hash,
      previousHash: presentedHash,
      expiresAt: next.expiresAt,
      rotatedAt: now,
      lastUsedAt: now,
    });
    this.#tokens.set(next.hash, { sessionId: session.id, expiresAt: next.expiresAt });
    return { status: 'rotated', session: { ...session } };
  }

  /** {@inheritDoc TokenAuthStore.endSession} */
  endSession(userId: number, sessionId: string): boolean {
    this.#assertOpen();
    // Its token entries now lead nowhere (`unknown`); the sweep drops them at their expiry.
    return this.#sessions.get(sessionId)?.userId === userId && this.#sessions.delete(sessionId);
  }

  /** {@inheritDoc TokenAuthStore.endUserSessions} */
  endUserSessions(userId: number, options: { except?: string | undefined } = {}): number {
    this.#assertOpen();
    let ended = 0;
    for (const session of this.#sessions.values()) {
      if (session.userId === userId && session.id !== options.except && this.#sessions.delete(session.id))
        ended++;
    }
    return ended;
  }

  /** {@inheritDoc TokenAuthStore.listSessions} */
  listSessions(userId: number, now: number): SessionRecord[] {
    this.#assertOpen();
    this.#observe(now);
    const live = [...this.#sessions.values()].filter((s) => s.userId === userId && now < s.expiresAt);
    // Maps keep insertion order and the sort is stable: equal createdAt keep it too.
    return live.sort((a, b) => a.createdAt - b.createdAt).map((session) => ({ ...session }));
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
    if (this.#history.length > this.#maxHistoryEntries)
      this.#history = this.#history.slice(-this.#maxHistoryEntries);
  }

  /** {@inheritDoc TokenAuthStore.listSettingsHistory} */
  listSettingsHistory(limit: number): SettingsChange[] {
    this.#assertOpen();
    return this.#history
      .slice(Math.max(0, this.#history.length - limit))
      .reverse()
      .map((change) => ({ ...change }));
  }

  /** {@inheritDoc TokenAuthStore.hit} */
  hit(key: string, windowMs: number, now: number): HitResult {
    this.#assertOpen();
    this.#observe(now);
    const counter = nextHit(this.#counters.get(key), windowMs, now);
    this.#counters.set(key, counter);
    return { ...counter };
  }

  /** {@inheritDoc TokenAuthStore.peekHits} */
  peekHits(key: string, now: number): HitResult {
    this.#assertOpen();
    this.#observe(now);
    return liveHits(this.#counters.get(key), now);
  }

  /** {@inheritDoc TokenAuthStore.resetHits} */
  resetHits(key: string): void {
    this.#assertOpen();
    this.#counters.delete(key);
  }

  /** {@inheritDoc TokenAuthStore.close} */
  close(): void {
    this.#closed = true;
    for (const map of [this.#users, this.#userIdByEmailKey, this.#sessions, this.#tokens, this.#counters])
      map.clear();
    this.#history = [];
    this.#settings = undefined;
  }

  /**
   * Drops the sessions, token entries and counters that expired at least `gcGraceMs`
   * before `now`. The store also does this by itself as its callers' clock advances; call
   * it to force a sweep, for example before counting records.
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
    const drop = <V>(map: Map<string, V>, endOf: (value: V) => number) => {
      for (const [key, value] of map) if (endOf(value) <= deadline && map.delete(key)) dropped++;
    };
    drop(this.#sessions, (session) => session.expiresAt);
    drop(this.#tokens, (token) => token.expiresAt);
    drop(this.#counters, (counter) => counter.resetAt);
    this.#lastSweep = now;
    return dropped;
  }

  /**
   * How many records the store holds: users, sessions, token entries, counters, history
   * entries and the settings (one record when saved). Meant for tests and monitoring.
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
    const maps = [this.#users, this.#sessions, this.#tokens, this.#counters];
    return maps.reduce((sum, map) => sum + map.size, this.#history.length + (this.#settings ? 1 : 0));
  }

  #observe(now: number): void {
    if (!(now > this.#latestNow)) return;
    this.#latestNow = now;
    if (now - this.#lastSweep >= this.#sweepIntervalMs) this.sweep(now);
  }

  #assertOpen(): void {
    // A plain error, as a failing backend's would be: the core wraps it in StoreError.
    if (this.#closed) throw new Error('The store is closed');
  }
}
