/**
 * The Keyv store: token-auth's records in any Keyv backend.
 *
 * @module
 */

import type { Keyv } from 'keyv';
import { ConfigError } from '../../errors.js';
import { definedFields, integerOption, millisecondsOption } from '../../lib/options.js';
import { liveHits, nextHit } from '../../lib/session-rules.js';
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
} from '../port.js';
import { endOf, isObject, KeyvRecords } from './records.js';
import { KeyvSessions } from './sessions.js';
import { KeyvUsers } from './users.js';

/** Options of {@link KeyvStore}. */
export interface KeyvStoreOptions {
  /**
   * Prefix of every key the store writes (after Keyv's own namespace), so that several
   * stores, or other data, can share one backend.
   * @defaultValue `'token-auth'`
   */
  namespace?: string | undefined;
  /**
   * How long, in milliseconds, the backend keeps a session, a token entry or a throttling
   * counter past the moment it stopped mattering (its Keyv TTL ends this much later). Until
   * then, a token of an expired session answers `expired` rather than `unknown`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number | undefined;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number | undefined;
  /**
   * How many user records this instance caches (least recently used dropped first); `0`
   * turns the cache off. The cache is written through on every change this instance makes,
   * exact under this store's rule of one process per backend.
   * @defaultValue `10_000`
   */
  userCacheSize?: number | undefined;
  /**
   * Wall-clock interval, in milliseconds, between automatic {@link KeyvStore.sweep}s (an
   * unref'd timer); `0` turns them off. Backends without native expiry (SQLite, PostgreSQL)
   * drop an expired entry only when it is read; sweeps drop the unread ones.
   * @defaultValue `0`
   */
  sweepIntervalMs?: number | undefined;
}

interface SettingsDocument {
  values: Partial<StoredSettings>;
  history: SettingsChange[];
}

const isSettings = (value: unknown) =>
  isObject(value) && isObject(value.values) && Array.isArray(value.history);
const isCounter = (value: unknown) =>
  isObject(value) && typeof value.count === 'number' && typeof value.resetAt === 'number';

/**
 * A {@link TokenAuthStore} over a [Keyv](https://keyv.org) instance, whatever its backend
 * (SQLite, PostgreSQL, Redis, a `Map`, …). `createKeyvSqliteStore` builds one on a SQLite
 * file. Keys, TTLs and garbage collection are described in the stores guide.
 *
 * **One process per backend.** Keyv has no compare-and-set, so every read-then-write runs
 * under a lock of this instance: atomic within it only. Several processes (or several
 * instances with one namespace) must not share a backend through KeyvStore: two could
 * rotate one refresh token. Use `token-auth/redis` or `token-auth/sql` for that.
 *
 * **Errors.** The store switches `throwOnErrors` on, so that no backend failure is
 * swallowed, and lets every failure reject as it is (the core wraps it in `StoreError`).
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import KeyvPostgres from '@keyv/postgres';
 * import { KeyvStore } from 'token-auth/keyv';
 *
 * const store = new KeyvStore(new Keyv(new KeyvPostgres('postgresql://localhost/app')));
 * ```
 */
export class KeyvStore implements TokenAuthStore {
  /** Every key this store writes starts with this: `` `${namespace}:` ``. */
  readonly keyPrefix: string;
  /** The Keyv instance the records live in. */
  readonly keyv: Keyv;

  readonly #records: KeyvRecords;
  readonly #users: KeyvUsers;
  readonly #sessions: KeyvSessions;
  readonly #maxHistoryEntries: number;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param keyv - A Keyv instance, used as is (its serializer too); the store switches its
   *   `throwOnErrors` on. Plain JSON records make `{ serialize: JSON.stringify, deserialize:
   *   JSON.parse }` the fastest serializer.
   * @param options - Namespace, garbage collection, history and cache sizes.
   * @throws {@link "token-auth"!ConfigError} when `keyv` is not a Keyv instance or an option is out of range.
   * @example
   * ```ts
   * const store = new KeyvStore(new Keyv(), { namespace: 'tests' });
   * ```
   */
  constructor(keyv: Keyv, options: KeyvStoreOptions = {}) {
    if (typeof (keyv as Partial<Keyv> | undefined)?.getRaw !== 'function') {
      throw new ConfigError('KeyvStore needs a Keyv instance: new KeyvStore(new Keyv(adapter))');
    }
    const namespace = options.namespace ?? 'token-auth';
    if (typeof namespace !== 'string' || namespace === '') {
      throw new ConfigError('namespace must be a non-empty string');
    }
    const gcGraceMs = millisecondsOption('gcGraceMs', options.gcGraceMs, 60_000);
    this.#maxHistoryEntries = integerOption(
      'maxHistoryEntries',
      options.maxHistoryEntries,
      1000,
      1,
      Number.MAX_SAFE_INTEGER,
    );
    const userCacheSize = integerOption('userCacheSize', options.userCacheSize, 10_000, 0, 2 ** 30);
    const sweepIntervalMs = millisecondsOption('sweepIntervalMs', options.sweepIntervalMs, 0);

    this.keyv = keyv;
    // Without it Keyv answers a failed read as a miss: "not found" instead of an error.
    keyv.throwOnErrors = true;
    this.keyPrefix = `${namespace}:`;
    this.#records = new KeyvRecords(keyv, this.keyPrefix, gcGraceMs);
    this.#users = new KeyvUsers(this.#records, userCacheSize);
    this.#sessions = new KeyvSessions(this.#records);
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => {
        // A failed background sweep is retried at the next tick; it must not crash the process.
        this.sweep().catch(() => undefined);
      }, sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.createUser} */
  createUser(user: NewUserRecord): Promise<UserRecord> {
    return this.#run(() => this.#users.create(user));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserById} */
  getUserById(id: number): Promise<UserRecord | undefined> {
    return this.#run(() => this.#users.getById(id));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserByEmailKey} */
  getUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    return this.#run(() => this.#users.getByEmailKey(emailKey));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateUser} */
  updateUser(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.#run(() => this.#users.update(id, patch));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.startSession} */
  startSession(session: NewSessionRecord): Promise<void> {
    return this.#run(() => this.#sessions.start(session));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.rotate} */
  rotate(presentedHash: string, next: NextHead, now: number): Promise<RotateResult> {
    return this.#run(() => this.#sessions.rotate(presentedHash, next, now));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endSession} */
  endSession(userId: number, sessionId: string): Promise<boolean> {
    return this.#run(() => this.#sessions.end(userId, sessionId));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endUserSessions} */
  endUserSessions(userId: number, options: { except?: string | undefined } = {}): Promise<number> {
    return this.#run(() => this.#sessions.endAll(userId, options.except));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSessions} */
  listSessions(userId: number, now: number): Promise<SessionRecord[]> {
    return this.#run(() => this.#sessions.list(userId, now));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getSettings} */
  getSettings(): Promise<Partial<StoredSettings> | undefined> {
    return this.#run(async () => (await this.#getSettingsDocument())?.values);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateSettings} */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Promise<void> {
    const key = this.#records.key('settings');
    return this.#run(() =>
      this.#records.lock(key, async () => {
        const current = await this.#getSettingsDocument();
        // Values and history in one record: they change together, even if the process dies.
        const document: SettingsDocument = {
          values: { ...current?.values, ...definedFields(values) },
          history: [...(current?.history ?? []), ...changes].slice(-this.#maxHistoryEntries),
        };
        await this.#records.set(key, document);
      }),
    );
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSettingsHistory} */
  listSettingsHistory(limit: number): Promise<SettingsChange[]> {
    return this.#run(async () => {
      const history = (await this.#getSettingsDocument())?.history ?? [];
      const count = Math.max(0, Math.floor(limit));
      return count === 0 ? [] : history.slice(-count).reverse();
    });
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.hit} */
  hit(key: string, windowMs: number, now: number): Promise<HitResult> {
    const counterKey = this.#records.key('hits', key);
    return this.#run(() =>
      this.#records.lock(counterKey, async () => {
        const next = nextHit(await this.#getCounter(counterKey), windowMs, now);
        await this.#records.set(counterKey, next, this.#records.ttl(next.resetAt, now));
        return next;
      }),
    );
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.peekHits} */
  peekHits(key: string, now: number): Promise<HitResult> {
    return this.#run(async () => {
      return liveHits(await this.#getCounter(this.#records.key('hits', key)), now);
    });
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.resetHits} */
  resetHits(key: string): Promise<void> {
    const counterKey = this.#records.key('hits', key);
    return this.#run(() => this.#records.lock(counterKey, () => this.#records.delete(counterKey)));
  }

  /**
   * Waits for the operations in flight, stops the sweep timer and disconnects the Keyv
   * backend. Calling it again returns the same promise.
   *
   * @returns Once the backend is disconnected.
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#sweepTimer) clearInterval(this.#sweepTimer);
      await Promise.allSettled([...this.#inflight]);
      await this.keyv.disconnect();
    })();
    return this.#closing;
  }

  /**
   * Deletes for good what stopped mattering more than `gcGraceMs` before `now`: sessions,
   * token entries, session lists and counters (which the backend would also drop, later,
   * at the end of their Keyv TTL), and token entries whose session has ended.
   *
   * @param now - Epoch ms of the callers' clock to sweep at.
   * @returns How many entries were deleted.
   * @example
   * ```ts
   * const removed = await store.sweep();
   * ```
   */
  sweep(now: number = Date.now()): Promise<number> {
    return this.#run(() => this.purge(now - this.#records.gcGraceMs));
  }

  /**
   * What {@link KeyvStore.sweep} does: here, by iterating the backend's entries (when Keyv
   * can iterate it; else nothing). A subclass for one backend may do it faster.
   *
   * @param deadline - Entries that stopped mattering at or before it go (epoch ms).
   * @returns How many entries were deleted.
   */
  protected async purge(deadline: number): Promise<number> {
    if (!this.keyv.iterator) return 0;
    const keys: string[] = [];
    for await (const [yielded] of this.keyv.iterator(this.keyv.namespace) as AsyncIterable<[string]>) {
      if (yielded.startsWith(this.keyPrefix)) keys.push(yielded);
      // Without a Keyv namespace, Keyv's iterator strips the first segment: this store's prefix.
      else if (!this.keyv.namespace) keys.push(`${this.keyPrefix}${yielded}`);
    }
    const tokenPrefix = this.#records.key('token', '');
    let removed = 0;
    for (const key of keys) {
      const value: unknown = await this.keyv.get(key);
      const end = endOf(value);
      // A token entry leads to its session only while the session exists; it never comes back.
      const orphan =
        key.startsWith(tokenPrefix) &&
        isObject(value) &&
        !(await this.keyv.has(this.#records.key('session', String(value.sessionId))));
      if ((end !== undefined && end <= deadline) || orphan) {
        await this.keyv.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async #getSettingsDocument(): Promise<SettingsDocument | undefined> {
    return this.#records.get<SettingsDocument>(this.#records.key('settings'), isSettings, 'settings record');
  }

  #getCounter(key: string): Promise<HitResult | undefined> {
    return this.#records.get<HitResult>(key, isCounter, 'throttling counter');
  }

  /** Runs one operation: refused once the store is closing, tracked until it settles. */
  #run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new Error('The Keyv store is closed'));
    const promise = operation();
    this.#inflight.add(promise);
    const forget = () => this.#inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
