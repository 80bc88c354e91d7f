/**
 * The Keyv store: token-auth's records in any Keyv backend.
 *
 * @module
 */

import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { ConfigError, EmailTakenError, StoreError, TokenAuthError } from '../errors.js';
import { KeyedMutex } from '../lib/mutex.js';
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

/** Options of {@link KeyvStore}. */
export interface KeyvStoreOptions {
  /**
   * Prefix of every key the store writes (after Keyv's own namespace), so that several
   * token-auth instances, or other data, can share one backend.
   * @defaultValue `'token-auth'`
   */
  namespace?: string;
  /**
   * How long, in milliseconds, an expired refresh token or throttling counter is kept
   * past its expiry before the backend may drop it (the Keyv TTL is set this much past
   * it). While it is kept, consuming an expired token answers `expired` rather than
   * `missing`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number;
  /**
   * Wall-clock interval, in milliseconds, between automatic {@link KeyvStore.sweep}s
   * (an unref'd timer); `0` turns them off. Backends that drop expired entries by
   * themselves (Redis) do not need it; file and SQL backends only drop an expired
   * entry when it is read, so without sweeps unread expired entries stay on disk.
   * @defaultValue `0`
   */
  sweepIntervalMs?: number;
  /**
   * A fast backend-specific purge used by {@link KeyvStore.sweep} instead of iterating
   * every entry: it must delete this store's entries (keys starting with
   * {@link KeyvStore.keyPrefix}) whose Keyv expiry is at or before `now`, and return how
   * many it deleted. {@link createSqliteStore} provides one.
   */
  purgeExpired?: (now: number) => Promise<number>;
}

/** A Keyv instance, a Keyv storage adapter, or a `Map` (which Keyv accepts as a store). */
export type KeyvLike = Keyv | KeyvStoreAdapter | Map<unknown, unknown>;

/** One entry of a family or user index: a token hash and the token's expiry (epoch ms). */
type IndexEntry = [tokenHash: string, expiresAt: number];

interface SettingsDocument {
  values: Partial<StoredSettings>;
  history: SettingsChange[];
}

interface Counter {
  count: number;
  resetAt: number;
}

/** Keyv's TTL argument for "never expires" (it overrides a Keyv-wide default TTL). */
const NO_TTL = 0;

/**
 * A {@link TokenAuthStore} over any [Keyv](https://keyv.org) instance or storage adapter
 * (SQLite, PostgreSQL, MySQL, MongoDB, Redis, or a plain `Map`).
 *
 * **Atomicity.** Keyv offers no compare-and-set, so every multi-step operation runs under
 * a per-key mutex of this instance: atomic within one process, not across processes.
 * Run one process per backend (with SQLite: one process per file). Several processes need
 * an adapter with native atomic operations, such as `token-auth/redis`.
 *
 * **Garbage collection.** Refresh tokens, their indexes and throttling counters are
 * written with a Keyv TTL slightly past their expiry ({@link KeyvStoreOptions.gcGraceMs});
 * users, the id counter and the settings never expire.
 *
 * **Errors.** Keyv swallows backend errors unless `throwOnErrors` is set: the store sets it
 * on the Keyv instance it is given (or creates), and every failure reaches the caller as
 * a {@link StoreError} with the backend error as `cause`, never as "not found".
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import KeyvPostgres from '@keyv/postgres';
 * import { createTokenAuth, KeyvStore } from 'token-auth';
 *
 * const store = new KeyvStore(new KeyvPostgres('postgresql://localhost/app'), { namespace: 'auth' });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 */
export class KeyvStore implements TokenAuthStore {
  /** Every key this store writes starts with this: `` `${namespace}:` ``. */
  readonly keyPrefix: string;
  /** The Keyv instance the records live in. */
  readonly keyv: Keyv;

  readonly #gcGraceMs: number;
  readonly #maxHistoryEntries: number;
  readonly #purgeExpired: ((now: number) => Promise<number>) | undefined;
  readonly #mutex = new KeyedMutex();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param backend - A Keyv instance (used as is, with `throwOnErrors` switched on), a
   *   Keyv storage adapter or a `Map` (wrapped in a new Keyv).
   * @param options - Namespace, garbage collection and history limits.
   * @throws {@link ConfigError} when an option is out of range.
   * @example
   * ```ts
   * const store = new KeyvStore(new Keyv(), { namespace: 'tests' });
   * ```
   */
  constructor(backend: KeyvLike, options: KeyvStoreOptions = {}) {
    const namespace = options.namespace ?? 'token-auth';
    if (typeof namespace !== 'string' || namespace === '') {
      throw new ConfigError('namespace must be a non-empty string');
    }
    this.keyPrefix = `${namespace}:`;
    this.#gcGraceMs = nonNegative('gcGraceMs', options.gcGraceMs, 60_000);
    const maxHistory = options.maxHistoryEntries ?? 1000;
    if (!Number.isInteger(maxHistory) || maxHistory < 1) {
      throw new ConfigError('maxHistoryEntries must be a positive integer');
    }
    this.#maxHistoryEntries = maxHistory;
    this.#purgeExpired = options.purgeExpired;

    this.keyv = isKeyv(backend) ? backend : new Keyv(backend as KeyvStoreAdapter);
    this.keyv.throwOnErrors = true;

    const sweepIntervalMs = nonNegative('sweepIntervalMs', options.sweepIntervalMs, 0);
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => {
        // A failed background sweep is retried at the next tick; it must not crash the process.
        this.sweep().catch(() => undefined);
      }, sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  /** {@inheritDoc TokenAuthStore.createUser} */
  createUser(user: NewUserRecord): Promise<UserRecord> {
    return this.#operation('createUser', () =>
      this.#mutex.run(this.#key('email', user.emailKey), async () => {
        if (await this.#claimOwner(user.emailKey))
          throw new EmailTakenError('This email is already registered');
        const id = await this.#nextUserId();
        const record: UserRecord = { ...user, id };
        // The claim is written first: a claim is only valid while its user exists and
        // carries its key, so a crash between the two writes leaves nothing stuck.
        await this.#set(this.#key('email', user.emailKey), id, NO_TTL);
        await this.#set(this.#key('user', id), record, NO_TTL);
        return record;
      }),
    );
  }

  /** {@inheritDoc TokenAuthStore.getUserById} */
  getUserById(id: number): Promise<UserRecord | undefined> {
    return this.#operation('getUserById', () => this.#getUser(id));
  }

  /** {@inheritDoc TokenAuthStore.getUserByEmailKey} */
  getUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    return this.#operation('getUserByEmailKey', () => this.#claimOwner(emailKey));
  }

  /** {@inheritDoc TokenAuthStore.updateUser} */
  updateUser(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.#operation('updateUser', () =>
      this.#mutex.run(this.#key('user', id), async () => {
        const user = await this.#getUser(id);
        if (!user) return undefined;
        const updated: UserRecord = { ...user, ...definedFields(patch), id };
        if (updated.emailKey === user.emailKey) {
          await this.#set(this.#key('user', id), updated, NO_TTL);
          return updated;
        }
        const [first, second] = [user.emailKey, updated.emailKey].sort() as [string, string];
        return this.#mutex.run(this.#key('email', first), () =>
          this.#mutex.run(this.#key('email', second), async () => {
            const owner = await this.#claimOwner(updated.emailKey);
            if (owner && owner.id !== id) throw new EmailTakenError('This email is already registered');
            await this.#set(this.#key('email', updated.emailKey), id, NO_TTL);
            await this.#set(this.#key('user', id), updated, NO_TTL);
            await this.#delete(this.#key('email', user.emailKey));
            return updated;
          }),
        );
      }),
    );
  }

  /** {@inheritDoc TokenAuthStore.createRefreshToken} */
  createRefreshToken(record: RefreshTokenRecord): Promise<void> {
    return this.#operation('createRefreshToken', async () => {
      const stored: RefreshTokenRecord = { ...record };
      const familyKey = this.#key('family', stored.familyId);
      const userKey = this.#key('user-tokens', stored.userId);
      // Lock order everywhere: family index, then user index, then token.
      await this.#mutex.run(familyKey, () =>
        this.#mutex.run(userKey, async () => {
          await this.#set(this.#key('rt', stored.tokenHash), stored, this.#ttlUntil(stored.expiresAt));
          const entry: IndexEntry = [stored.tokenHash, stored.expiresAt];
          const deadline = stored.createdAt - this.#gcGraceMs;
          await this.#rewriteIndex(familyKey, (entries) => [...entries, entry], deadline);
          await this.#rewriteIndex(userKey, (entries) => [...entries, entry], deadline);
        }),
      );
    });
  }

  /** {@inheritDoc TokenAuthStore.consumeRefreshToken} */
  consumeRefreshToken(tokenHash: string, now: number): Promise<ConsumeResult> {
    return this.#operation('consumeRefreshToken', async () => {
      const key = this.#key('rt', tokenHash);
      const result = await this.#mutex.run(key, async (): Promise<ConsumeResult> => {
        const record = await this.#getToken(tokenHash);
        if (!record) return { status: 'missing' };
        if (now >= record.expiresAt) {
          await this.#delete(key);
          return { status: 'expired', record };
        }
        if (record.rotatedAt !== null) return { status: 'reused', record };
        const rotated: RefreshTokenRecord = { ...record, rotatedAt: now };
        await this.#set(key, rotated, this.#ttlUntil(rotated.expiresAt));
        return { status: 'consumed', record: rotated };
      });
      if (result.status === 'expired') await this.#unindex([result.record]);
      return result;
    });
  }

  /** {@inheritDoc TokenAuthStore.deleteRefreshToken} */
  deleteRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.#operation('deleteRefreshToken', async () => {
      const record = await this.#takeToken(tokenHash, () => true);
      if (record) await this.#unindex([record]);
      return record;
    });
  }

  /** {@inheritDoc TokenAuthStore.deleteRefreshTokenFamily} */
  deleteRefreshTokenFamily(familyId: string): Promise<number> {
    return this.#operation('deleteRefreshTokenFamily', async () => {
      const familyKey = this.#key('family', familyId);
      const deleted = await this.#mutex.run(familyKey, async () => {
        const taken = await this.#takeIndexed(familyKey, (record) => record.familyId === familyId);
        await this.#delete(familyKey);
        return taken;
      });
      await this.#unindex(deleted, 'user');
      return deleted.length;
    });
  }

  /** {@inheritDoc TokenAuthStore.deleteUserRefreshTokens} */
  deleteUserRefreshTokens(userId: number): Promise<number> {
    return this.#operation('deleteUserRefreshTokens', async () => {
      const userKey = this.#key('user-tokens', userId);
      const deleted = await this.#mutex.run(userKey, async () => {
        const taken = await this.#takeIndexed(userKey, (record) => record.userId === userId);
        await this.#delete(userKey);
        return taken;
      });
      // Family indexes come before user indexes in the lock order, hence after the release.
      await this.#unindex(deleted, 'family');
      return deleted.length;
    });
  }

  /** {@inheritDoc TokenAuthStore.listUserRefreshTokens} */
  listUserRefreshTokens(userId: number, now: number): Promise<RefreshTokenRecord[]> {
    return this.#operation('listUserRefreshTokens', async () => {
      const entries = await this.#getIndex(this.#key('user-tokens', userId));
      const records = await Promise.all(entries.map(([hash]) => this.#getToken(hash)));
      return records
        .filter(
          (record): record is RefreshTokenRecord =>
            record !== undefined &&
            record.userId === userId &&
            record.rotatedAt === null &&
            now < record.expiresAt,
        )
        .sort((a, b) => a.createdAt - b.createdAt);
    });
  }

  /** {@inheritDoc TokenAuthStore.getSettings} */
  getSettings(): Promise<Partial<StoredSettings> | undefined> {
    return this.#operation('getSettings', async () => (await this.#getSettingsDocument())?.values);
  }

  /** {@inheritDoc TokenAuthStore.updateSettings} */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Promise<void> {
    return this.#operation('updateSettings', () =>
      this.#mutex.run(this.#key('settings'), async () => {
        const current = await this.#getSettingsDocument();
        // Values and history live in one record, so that they change together even if
        // the process dies in between.
        const document: SettingsDocument = {
          values: { ...current?.values, ...definedFields(values) },
          history: [...(current?.history ?? []), ...changes].slice(-this.#maxHistoryEntries),
        };
        await this.#set(this.#key('settings'), document, NO_TTL);
      }),
    );
  }

  /** {@inheritDoc TokenAuthStore.listSettingsHistory} */
  listSettingsHistory(limit: number): Promise<SettingsChange[]> {
    return this.#operation('listSettingsHistory', async () => {
      const history = (await this.#getSettingsDocument())?.history ?? [];
      const count = Math.max(0, Math.floor(limit));
      return count === 0 ? [] : history.slice(-count).reverse();
    });
  }

  /** {@inheritDoc TokenAuthStore.hit} */
  hit(key: string, windowMs: number, now: number): Promise<HitResult> {
    return this.#operation('hit', () => {
      const storageKey = this.#key('hits', key);
      return this.#mutex.run(storageKey, async () => {
        const counter = await this.#getCounter(storageKey);
        const next: Counter =
          !counter || now >= counter.resetAt
            ? { count: 1, resetAt: now + windowMs }
            : { count: counter.count + 1, resetAt: counter.resetAt };
        await this.#set(storageKey, next, this.#ttlUntil(next.resetAt));
        return next;
      });
    });
  }

  /** {@inheritDoc TokenAuthStore.peekHits} */
  peekHits(key: string, now: number): Promise<HitResult> {
    return this.#operation('peekHits', async () => {
      const counter = await this.#getCounter(this.#key('hits', key));
      return !counter || now >= counter.resetAt ? { count: 0, resetAt: now } : counter;
    });
  }

  /** {@inheritDoc TokenAuthStore.resetHits} */
  resetHits(key: string): Promise<void> {
    return this.#operation('resetHits', async () => {
      const storageKey = this.#key('hits', key);
      await this.#mutex.run(storageKey, () => this.#delete(storageKey));
    });
  }

  /**
   * Waits for the operations in flight, stops the sweep timer and disconnects the Keyv
   * backend (closing its connection or file). Calling it again returns the same promise.
   *
   * @returns Once the backend is closed.
   * @throws {@link StoreError} when the backend fails to close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#sweepTimer) clearInterval(this.#sweepTimer);
      await Promise.allSettled([...this.#inflight]);
      try {
        await this.keyv.disconnect();
      } catch (error) {
        throw new StoreError('KeyvStore.close failed: the backend did not disconnect', { cause: error });
      }
    })();
    return this.#closing;
  }

  /**
   * Deletes what has expired at `now` for good: refresh tokens and counters whose expiry
   * is more than `gcGraceMs` before `now`, and index entries pointing at them. Uses the
   * `purgeExpired` option when given, else iterates the backend (when Keyv can iterate
   * it). The wall clock is used only here, for garbage collection, never for validity.
   *
   * @param now - Epoch ms to sweep at.
   * @returns How many backend entries were deleted.
   * @throws {@link StoreError} when the backend fails.
   * @example
   * ```ts
   * const removed = await store.sweep();
   * ```
   */
  sweep(now: number = Date.now()): Promise<number> {
    return this.#operation('sweep', async () => {
      if (this.#purgeExpired) return this.#purgeExpired(now);
      if (!this.keyv.iterator) return 0;
      const keys: string[] = [];
      for await (const [key] of this.keyv.iterator(this.keyv.namespace) as AsyncIterable<[string, unknown]>) {
        const own = this.#ownKey(key);
        if (own) keys.push(own);
      }
      let removed = 0;
      const deadline = now - this.#gcGraceMs;
      for (const key of keys) removed += await this.#sweepKey(key, deadline);
      return removed;
    });
  }

  async #sweepKey(key: string, deadline: number): Promise<number> {
    const kind = key.slice(this.keyPrefix.length, key.indexOf(':', this.keyPrefix.length));
    if (kind === 'rt') {
      const hash = key.slice(this.#key('rt', '').length);
      const record = await this.#takeToken(hash, (found) => found.expiresAt <= deadline);
      if (record) await this.#unindex([record]);
      return record ? 1 : 0;
    }
    if (kind === 'hits') {
      return this.#mutex.run(key, async () => {
        const counter = await this.#getCounter(key);
        if (!counter || counter.resetAt > deadline) return 0;
        await this.#delete(key);
        return 1;
      });
    }
    if (kind === 'family' || kind === 'user-tokens') {
      return this.#mutex.run(key, async () => {
        if ((await this.#getIndex(key)).length === 0) return 0;
        return (await this.#rewriteIndex(key, (entries) => entries, deadline)) === 0 ? 1 : 0;
      });
    }
    return 0;
  }

  /** This store's full key for a key yielded by Keyv's iterator, or `undefined` for others. */
  #ownKey(yielded: string): string | undefined {
    if (yielded.startsWith(this.keyPrefix)) return yielded;
    // Without a Keyv namespace, Keyv's iterator strips the first segment (our prefix).
    if (this.keyv.useKeyPrefix && !this.keyv.namespace) return `${this.keyPrefix}${yielded}`;
    return undefined;
  }

  // ---- records -------------------------------------------------------------------

  #key(kind: string, id?: string | number): string {
    return id === undefined ? `${this.keyPrefix}${kind}` : `${this.keyPrefix}${kind}:${id}`;
  }

  async #getUser(id: number): Promise<UserRecord | undefined> {
    const user = await this.#get(this.#key('user', id));
    if (user === undefined) return undefined;
    if (!isRecord(user) || user.id !== id) throw new StoreError('A stored user record is malformed');
    return user as unknown as UserRecord;
  }

  /** The user holding the claim on `emailKey`; a claim whose user lost the key is void. */
  async #claimOwner(emailKey: string): Promise<UserRecord | undefined> {
    const id = await this.#get(this.#key('email', emailKey));
    if (id === undefined) return undefined;
    if (typeof id !== 'number') throw new StoreError('A stored email claim is malformed');
    const user = await this.#getUser(id);
    return user?.emailKey === emailKey ? user : undefined;
  }

  async #nextUserId(): Promise<number> {
    const key = this.#key('meta', 'last-user-id');
    return this.#mutex.run(key, async () => {
      const last = (await this.#get(key)) ?? 0;
      if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0) {
        throw new StoreError('The stored user id counter is malformed');
      }
      await this.#set(key, last + 1, NO_TTL);
      return last + 1;
    });
  }

  async #getToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const record = await this.#get(this.#key('rt', tokenHash));
    if (record === undefined) return undefined;
    if (!isRecord(record) || record.tokenHash !== tokenHash || typeof record.expiresAt !== 'number') {
      throw new StoreError('A stored refresh token record is malformed');
    }
    return record as unknown as RefreshTokenRecord;
  }

  /** Deletes the token when `accept(record)` holds, under its lock; returns what it was. */
  async #takeToken(
    tokenHash: string,
    accept: (record: RefreshTokenRecord) => boolean,
  ): Promise<RefreshTokenRecord | undefined> {
    const key = this.#key('rt', tokenHash);
    return this.#mutex.run(key, async () => {
      const record = await this.#getToken(tokenHash);
      if (!record || !accept(record)) return undefined;
      await this.#delete(key);
      return record;
    });
  }

  /** Deletes every token an index lists that passes `accept`; the caller holds the index lock. */
  async #takeIndexed(
    indexKey: string,
    accept: (record: RefreshTokenRecord) => boolean,
  ): Promise<RefreshTokenRecord[]> {
    const taken: RefreshTokenRecord[] = [];
    for (const [hash] of await this.#getIndex(indexKey)) {
      const record = await this.#takeToken(hash, accept);
      if (record) taken.push(record);
    }
    return taken;
  }

  async #getIndex(key: string): Promise<IndexEntry[]> {
    const entries = await this.#get(key);
    if (entries === undefined) return [];
    if (!Array.isArray(entries)) throw new StoreError('A stored token index is malformed');
    return entries as IndexEntry[];
  }

  /**
   * Rewrites an index (the caller holds its lock): applies `change`, drops entries of
   * tokens that expired at or before `deadline` (garbage by then), deletes the index when
   * it is empty, else sets its TTL to outlive its longest-lived token. Returns how many
   * entries remain.
   */
  async #rewriteIndex(
    key: string,
    change: (entries: IndexEntry[]) => IndexEntry[],
    deadline: number,
  ): Promise<number> {
    const entries = change(await this.#getIndex(key)).filter(([, expiresAt]) => expiresAt > deadline);
    if (entries.length === 0) {
      await this.#delete(key);
      return 0;
    }
    const lastExpiry = Math.max(...entries.map(([, expiresAt]) => expiresAt));
    await this.#set(key, entries, this.#ttlUntil(lastExpiry));
    return entries.length;
  }

  /** Removes deleted tokens from their family and user indexes (one lock at a time). */
  async #unindex(records: readonly RefreshTokenRecord[], only?: 'family' | 'user'): Promise<void> {
    if (records.length === 0) return;
    const gone = new Set(records.map((record) => record.tokenHash));
    const keep = (entries: IndexEntry[]) => entries.filter(([hash]) => !gone.has(hash));
    const indexKeys = new Set<string>();
    for (const record of records) {
      if (only !== 'user') indexKeys.add(this.#key('family', record.familyId));
      if (only !== 'family') indexKeys.add(this.#key('user-tokens', record.userId));
    }
    for (const key of indexKeys) {
      await this.#mutex.run(key, () => this.#rewriteIndex(key, keep, Number.NEGATIVE_INFINITY));
    }
  }

  async #getSettingsDocument(): Promise<SettingsDocument | undefined> {
    const document = await this.#get(this.#key('settings'));
    if (document === undefined) return undefined;
    if (!isRecord(document) || !isRecord(document.values) || !Array.isArray(document.history)) {
      throw new StoreError('The stored settings record is malformed');
    }
    return document as unknown as SettingsDocument;
  }

  async #getCounter(key: string): Promise<Counter | undefined> {
    const counter = await this.#get(key);
    if (counter === undefined) return undefined;
    if (!isRecord(counter) || typeof counter.count !== 'number' || typeof counter.resetAt !== 'number') {
      throw new StoreError('A stored throttling counter is malformed');
    }
    return { count: counter.count, resetAt: counter.resetAt };
  }

  // ---- Keyv access ---------------------------------------------------------------

  async #get(key: string): Promise<unknown> {
    const value: unknown = await this.keyv.get(key);
    // Keyv reports a missing key as undefined; a stored null would mean a broken record.
    return value === null ? undefined : value;
  }

  async #set(key: string, value: unknown, ttlMs: number): Promise<void> {
    if ((await this.keyv.set(key, value, ttlMs)) === false) {
      throw new StoreError('The Keyv backend refused a write');
    }
  }

  async #delete(key: string): Promise<void> {
    await this.keyv.delete(key);
  }

  /** Keyv TTL for a record that stops mattering at `deadline` (epoch ms): never 0 (= forever). */
  #ttlUntil(deadline: number): number {
    return Math.max(1, Math.ceil(Math.max(0, deadline - Date.now()) + this.#gcGraceMs));
  }

  /** Runs one public operation: refuses after close, tracks it, wraps failures. */
  #operation<T>(name: string, run: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreError(`KeyvStore.${name} failed: the store is closed`));
    const promise = (async () => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof TokenAuthError) throw error;
        throw new StoreError(`KeyvStore.${name} failed: the Keyv backend reported an error`, {
          cause: error,
        });
      }
    })();
    this.#inflight.add(promise);
    const forget = () => this.#inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

function isKeyv(value: KeyvLike): value is Keyv {
  if (value instanceof Keyv) return true;
  // A Keyv from another copy of the package: recognise it by its shape.
  const candidate = value as Partial<Keyv>;
  return (
    typeof candidate.getRaw === 'function' && typeof candidate.disconnect === 'function' && 'hooks' in value
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !Number.isFinite(resolved) || resolved < 0) {
    throw new ConfigError(`${name} must be a non-negative number of milliseconds`);
  }
  return resolved;
}

function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
