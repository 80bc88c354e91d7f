/**
 * The Keyv store: token-auth's records in any Keyv backend.
 *
 * @module
 */

import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { ConfigError, EmailTakenError, StoreError, TokenAuthError } from '../errors.js';
import { LruCache } from '../lib/lru-cache.js';
import { KeyedMutex } from '../lib/mutex.js';
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
   * it; for a refresh token, past the latest expiry in its family so far, so that a
   * family's chain is never cut). While it is kept, consuming an expired token answers
   * `expired` rather than `missing`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number;
  /**
   * How many user records this instance keeps in memory (least recently used dropped
   * first); `0` turns the cache off. Reading a user (every `GET /api/me/`, every refresh)
   * then costs no backend round trip. The cache is written through on every change this
   * instance makes, so it is exact under this store's rule of one process (one instance) per
   * backend; a change written to the backend by anything else is not seen until evicted.
   * @defaultValue `10_000`
   */
  userCacheSize?: number;
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

/**
 * A refresh token as stored at `rt:<tokenHash>`: the port's record plus its link in its
 * family's chain.
 */
interface StoredToken extends RefreshTokenRecord {
  /** Hash of the family's newest token when this one was created; absent for the first. */
  prev?: string;
  /**
   * Epoch ms until which the record matters: the latest `expiresAt` of its family so far,
   * so that along a chain it never decreases and garbage collection never drops a token
   * before an older one (which would cut the chain).
   */
  keepUntil: number;
}

/** What a deleted token that links to an older one leaves behind: the link. Reads as missing. */
interface Tombstone {
  tokenHash: string;
  deleted: true;
  prev: string;
  keepUntil: number;
}

/** A family (one login's session) as stored at `session:<familyId>`. */
interface FamilyRecord {
  userId: number;
  /** Hash of the newest token: where the chain of `prev` links starts. */
  head: string;
  /**
   * Tokens that may be current (a superset: pruned when the next token is created). With
   * the core's rotation it holds the newest token only.
   */
  live: string[];
  /** The latest `expiresAt` of the family's tokens. */
  keepUntil: number;
  /** The bound the user's index records for this family: never below `keepUntil`. */
  indexedUntil: number;
}

/**
 * One entry of a user's index of families, `sessions:<userId>`: a family id and an epoch
 * ms bound at or after which every token of the family has expired.
 */
type IndexEntry = [familyId: string, indexedUntil: number];

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
 * **Refresh tokens.** Each family (one login's session) is a chain: every token records
 * the hash of the family's previous newest token (`prev`), and the family record points at
 * the newest and lists the tokens that may still be current. A user's index lists the
 * user's families. Creating, consuming and checking a token reads and writes a fixed
 * number of small records, however many rotations the session has been through; only
 * deleting a family (reuse, logout) or all of a user's walks the chain, one record per
 * token.
 *
 * **Garbage collection.** Refresh tokens, families, the users' indexes and throttling
 * counters are written with a Keyv TTL slightly past their expiry
 * ({@link KeyvStoreOptions.gcGraceMs}); a token is kept as long as the longest-lived token
 * before it in its family, so that no chain is cut from its older part. Users, the id
 * counter and the settings never expire.
 *
 * **Serialization.** A backend given as an adapter or a `Map` is wrapped in a Keyv that
 * serializes with native `JSON` (every record is plain JSON); a Keyv instance keeps its
 * own serializer.
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
  /**
   * Hashes this instance recently saw rotated or deleted: facts that never revert, so
   * creating a family's next token can drop them from its `live` list without reading
   * them back (in the core's rotation, the token just consumed).
   */
  readonly #knownDead = new LruCache<string, true>(1024);
  readonly #users: LruCache<number, UserRecord> | undefined;
  /**
   * Write starts and ends per user id: a read fills the cache only if the count did not move
   * while it was in flight, or a backend that answers a read after a later write (a pool of
   * connections) could leave stale data in the cache.
   */
  readonly #userWrites = new Map<number, number>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param backend - A Keyv instance (used as is, its serializer included, with
   *   `throwOnErrors` switched on), a Keyv storage adapter or a `Map` (wrapped in a new Keyv
   *   that serializes with native `JSON.stringify` and `JSON.parse`).
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
    this.#gcGraceMs = millisecondsOption('gcGraceMs', options.gcGraceMs, 60_000);
    const maxHistory = options.maxHistoryEntries ?? 1000;
    if (!Number.isInteger(maxHistory) || maxHistory < 1) {
      throw new ConfigError('maxHistoryEntries must be a positive integer');
    }
    this.#maxHistoryEntries = maxHistory;
    this.#purgeExpired = options.purgeExpired;
    const userCacheSize = options.userCacheSize ?? 10_000;
    if (!Number.isInteger(userCacheSize) || userCacheSize < 0) {
      throw new ConfigError('userCacheSize must be a non-negative integer');
    }
    this.#users = userCacheSize > 0 ? new LruCache(userCacheSize) : undefined;

    // Records are plain JSON: native JSON writes about 2 and reads about 4 times faster
    // than Keyv's default serializer (which walks every value for strings and buffers).
    this.keyv = isKeyv(backend)
      ? backend
      : new Keyv(backend as KeyvStoreAdapter, { serialize: JSON.stringify, deserialize: JSON.parse });
    this.keyv.throwOnErrors = true;

    const sweepIntervalMs = millisecondsOption('sweepIntervalMs', options.sweepIntervalMs, 0);
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
        await this.#putUser(record);
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
          await this.#putUser(updated);
          return updated;
        }
        const [first, second] = [user.emailKey, updated.emailKey].sort() as [string, string];
        return this.#mutex.run(this.#key('email', first), () =>
          this.#mutex.run(this.#key('email', second), async () => {
            const owner = await this.#claimOwner(updated.emailKey);
            if (owner && owner.id !== id) throw new EmailTakenError('This email is already registered');
            await this.#set(this.#key('email', updated.emailKey), id, NO_TTL);
            await this.#putUser(updated);
            await this.#delete(this.#key('email', user.emailKey));
            return updated;
          }),
        );
      }),
    );
  }

  /**
   * Stores a new refresh token as the newest of its family: the token links to the
   * family's previous newest and the family record moves on to it. The user's index of
   * families is rewritten only for a new family, or about once per token lifetime while a
   * family keeps being refreshed, so the cost does not grow with past rotations.
   *
   * @param record - The new token (its `tokenHash` fresh and unique).
   * @returns Once stored.
   * @throws {@link StoreError} when the family belongs to another user, or the backend fails.
   */
  createRefreshToken(record: RefreshTokenRecord): Promise<void> {
    return this.#operation('createRefreshToken', () => {
      const familyKey = this.#key('session', record.familyId);
      // Lock order everywhere: family, then the user's index, then token.
      return this.#mutex.run(familyKey, async () => {
        const family = await this.#getFamily(familyKey);
        if (family && family.userId !== record.userId) {
          throw new StoreError(`createRefreshToken: family ${record.familyId} belongs to another user`);
        }
        const deadline = record.createdAt - this.#gcGraceMs;
        const keepUntil = Math.max(record.expiresAt, family?.keepUntil ?? record.expiresAt);
        this.#knownDead.delete(record.tokenHash);
        const stored: StoredToken = { ...portFields(record), keepUntil };
        if (family) stored.prev = family.head;
        const live = family ? await this.#stillCurrent(family.live, deadline) : [];
        // Write order keeps every crash harmless: the token (unreachable until the family
        // points at it, and its holder never got it), the user's index, then the family.
        await this.#set(this.#key('rt', record.tokenHash), stored, this.#ttlUntil(keepUntil));
        let indexedUntil = family?.indexedUntil ?? Number.NEGATIVE_INFINITY;
        // Also when the bound has passed and a sweep may have dropped the entry: the new
        // keepUntil is past it then. One lifetime of headroom: a family refreshed again and
        // again rewrites the user's index once per lifetime, not once per refresh.
        if (!family || keepUntil > indexedUntil) {
          indexedUntil = keepUntil + Math.max(0, record.expiresAt - record.createdAt);
          await this.#indexFamily(record.userId, record.familyId, indexedUntil, deadline);
        }
        const next: FamilyRecord = {
          userId: record.userId,
          head: record.tokenHash,
          live: [...live, record.tokenHash],
          keepUntil,
          indexedUntil,
        };
        await this.#set(familyKey, next, this.#ttlUntil(keepUntil));
      });
    });
  }

  /**
   * Atomically consumes a refresh token: if it is current and `now < expiresAt`, marks it
   * rotated at `now` and answers `consumed`; of concurrent calls with one hash at most one
   * does. A rotated token answers `reused`, an expired one `expired` (rotated or not), an
   * unknown or deleted one `missing`. An expired token is left in place until garbage
   * collection drops it, so that the chain of its family stays whole.
   *
   * @param tokenHash - The hash of the presented token.
   * @param now - The caller's clock, epoch ms.
   * @returns The outcome, with the record as stored.
   * @throws {@link StoreError} when the backend fails or the record is malformed.
   */
  consumeRefreshToken(tokenHash: string, now: number): Promise<ConsumeResult> {
    return this.#operation('consumeRefreshToken', () => {
      const key = this.#key('rt', tokenHash);
      return this.#mutex.run(key, async (): Promise<ConsumeResult> => {
        const stored = await this.#getToken(tokenHash);
        if (!stored || isTombstone(stored)) return { status: 'missing' };
        const record = portFields(stored);
        if (now >= record.expiresAt) return { status: 'expired', record };
        if (record.rotatedAt !== null) return { status: 'reused', record };
        await this.#set(key, { ...stored, rotatedAt: now }, this.#ttlUntil(stored.keepUntil));
        this.#knownDead.set(tokenHash, true);
        return { status: 'consumed', record: { ...record, rotatedAt: now } };
      });
    });
  }

  /**
   * Atomically deletes one refresh token and returns what it was; of concurrent calls with
   * one hash at most one gets the record. A token that links to an older one leaves a
   * tombstone with the link (it reads as missing), so that deleting its family later still
   * reaches the older tokens; a family's only token ends the family.
   *
   * @param tokenHash - The hash of the token.
   * @returns The record as it was, or `undefined` when there was none.
   * @throws {@link StoreError} when the backend fails or the record is malformed.
   */
  deleteRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.#operation('deleteRefreshToken', async () => {
      const key = this.#key('rt', tokenHash);
      const seen = await this.#getToken(tokenHash);
      if (!seen || isTombstone(seen)) return undefined;
      if (seen.prev !== undefined) {
        // The link never changes, so only the token's own lock is needed.
        return this.#mutex.run(key, async () => {
          const stored = await this.#getToken(tokenHash);
          if (!stored || isTombstone(stored)) return undefined;
          const tombstone: Tombstone = {
            tokenHash,
            deleted: true,
            prev: seen.prev as string,
            keepUntil: stored.keepUntil,
          };
          await this.#set(key, tombstone, this.#ttlUntil(stored.keepUntil));
          this.#knownDead.set(tokenHash, true);
          return portFields(stored);
        });
      }
      // The oldest token of its family: nothing older to keep reachable. When it is also
      // the newest (the family's only token), the family ends with it.
      const familyKey = this.#key('session', seen.familyId);
      return this.#mutex.run(familyKey, async () => {
        const taken = await this.#mutex.run(key, async () => {
          const stored = await this.#getToken(tokenHash);
          if (!stored || isTombstone(stored)) return undefined;
          await this.#delete(key);
          this.#knownDead.set(tokenHash, true);
          return stored;
        });
        if (!taken) return undefined;
        const family = await this.#getFamily(familyKey);
        if (family?.head === tokenHash) {
          await this.#delete(familyKey);
          await this.#unindexFamily(family.userId, taken.familyId);
        }
        return portFields(taken);
      });
    });
  }

  /**
   * Deletes every token of a family, rotated ones included, walking from its newest token
   * to the oldest (one read and one delete per token: with {@link deleteUserRefreshTokens},
   * the only refresh-token operations whose cost grows with the number of rotations), then
   * the family and its entry in the user's index.
   *
   * @param familyId - The family (session) id.
   * @returns How many tokens were deleted (tombstones of deleted tokens not counted).
   * @throws {@link StoreError} when the backend fails or a record is malformed.
   */
  deleteRefreshTokenFamily(familyId: string): Promise<number> {
    return this.#operation('deleteRefreshTokenFamily', () => this.#endFamily(familyId));
  }

  /**
   * Deletes every token of every family of the user, one family at a time (see
   * {@link deleteRefreshTokenFamily}).
   *
   * @param userId - The owner.
   * @returns How many tokens were deleted.
   * @throws {@link StoreError} when the backend fails or a record is malformed.
   */
  deleteUserRefreshTokens(userId: number): Promise<number> {
    return this.#operation('deleteUserRefreshTokens', async () => {
      let deleted = 0;
      // Each family is ended under its own lock (which also drops it from the index); a
      // family created meanwhile is after this call in the order of operations.
      for (const [familyId] of await this.#getIndex(this.#key('sessions', userId))) {
        deleted += await this.#endFamily(familyId, userId);
      }
      return deleted;
    });
  }

  /**
   * The user's refresh tokens that are current (`rotatedAt === null`) and unexpired at
   * `now`, oldest first. Reads the user's index of families, each family, and the tokens
   * each family may still have current (with the core's rotation: its newest), never the
   * rotated ones.
   *
   * @param userId - The owner.
   * @param now - The caller's clock, epoch ms.
   * @returns The current tokens, oldest first.
   * @throws {@link StoreError} when the backend fails or a record is malformed.
   */
  listUserRefreshTokens(userId: number, now: number): Promise<RefreshTokenRecord[]> {
    return this.#operation('listUserRefreshTokens', async () => {
      const entries = await this.#getIndex(this.#key('sessions', userId));
      const families = await Promise.all(
        entries.map(([familyId]) => this.#getFamily(this.#key('session', familyId))),
      );
      const candidates = families.flatMap((family) => (family?.userId === userId ? family.live : []));
      const records = await Promise.all(candidates.map((hash) => this.#getToken(hash)));
      return records
        .filter(
          (record): record is StoredToken =>
            record !== undefined &&
            !isTombstone(record) &&
            record.userId === userId &&
            record.rotatedAt === null &&
            now < record.expiresAt,
        )
        .map(portFields)
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
    if (kind === 'sessions') {
      return this.#mutex.run(key, async () => {
        const entries = await this.#getIndex(key);
        const kept = entries.filter(([, bound]) => bound > deadline);
        if (kept.length === entries.length) return 0;
        await this.#writeIndex(key, kept);
        return kept.length === 0 ? 1 : 0;
      });
    }
    if (kind !== 'rt' && kind !== 'session' && kind !== 'hits') return 0;
    return this.#mutex.run(key, async () => {
      let keepUntil: number | undefined;
      if (kind === 'rt') keepUntil = (await this.#getToken(key.slice(this.#key('rt', '').length)))?.keepUntil;
      else if (kind === 'session') keepUntil = (await this.#getFamily(key))?.keepUntil;
      else keepUntil = (await this.#getCounter(key))?.resetAt;
      // Along a family chain keepUntil never decreases, so older tokens go no later than newer ones.
      if (keepUntil === undefined || keepUntil > deadline) return 0;
      await this.#delete(key);
      return 1;
    });
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
    const cached = this.#users?.get(id);
    // A copy: callers may change what they get without changing the cache.
    if (cached) return { ...cached };
    const writesBefore = this.#userWrites.get(id) ?? 0;
    const user = await this.#get(this.#key('user', id));
    if (user === undefined) return undefined;
    if (!isRecord(user) || user.id !== id) throw new StoreError('A stored user record is malformed');
    if ((this.#userWrites.get(id) ?? 0) === writesBefore)
      this.#users?.set(id, { ...(user as unknown as UserRecord) });
    return user as unknown as UserRecord;
  }

  /** Writes a user record, keeping the cache exact even when the write fails midway. */
  async #putUser(user: UserRecord): Promise<void> {
    // Counted at both ends: a read that overlaps the write in any way sees the count change
    // and leaves the cache alone; one that fits inside the write is overwritten below.
    const bump = () => this.#users && this.#userWrites.set(user.id, (this.#userWrites.get(user.id) ?? 0) + 1);
    bump();
    this.#users?.delete(user.id);
    try {
      await this.#set(this.#key('user', user.id), user, NO_TTL);
    } finally {
      bump();
    }
    this.#users?.set(user.id, { ...user });
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

  async #getToken(tokenHash: string): Promise<StoredToken | Tombstone | undefined> {
    const value = await this.#get(this.#key('rt', tokenHash));
    if (value === undefined) return undefined;
    const malformed = () => new StoreError('A stored refresh token record is malformed');
    if (!isRecord(value) || value.tokenHash !== tokenHash) throw malformed();
    if (value.deleted === true) {
      if (typeof value.prev !== 'string' || typeof value.keepUntil !== 'number') throw malformed();
      return value as unknown as Tombstone;
    }
    if (typeof value.expiresAt !== 'number' || (value.prev !== undefined && typeof value.prev !== 'string')) {
      throw malformed();
    }
    // Records written before the family chain carry no keepUntil: they are kept until expiry.
    if (typeof value.keepUntil !== 'number') value.keepUntil = value.expiresAt;
    return value as unknown as StoredToken;
  }

  async #getFamily(key: string): Promise<FamilyRecord | undefined> {
    const value = await this.#get(key);
    if (value === undefined) return undefined;
    if (
      !isRecord(value) ||
      typeof value.userId !== 'number' ||
      typeof value.head !== 'string' ||
      !Array.isArray(value.live) ||
      typeof value.keepUntil !== 'number' ||
      typeof value.indexedUntil !== 'number'
    ) {
      throw new StoreError('A stored refresh token family is malformed');
    }
    return value as unknown as FamilyRecord;
  }

  async #getIndex(key: string): Promise<IndexEntry[]> {
    const entries = await this.#get(key);
    if (entries === undefined) return [];
    if (!Array.isArray(entries)) throw new StoreError('A stored index of families is malformed');
    return entries as IndexEntry[];
  }

  /** The hashes that may still be current: those read as unrotated and unexpired at `deadline`. */
  async #stillCurrent(hashes: readonly string[], deadline: number): Promise<string[]> {
    const unknown = hashes.filter((hash) => this.#knownDead.get(hash) === undefined);
    const records = await Promise.all(unknown.map((hash) => this.#getToken(hash)));
    return unknown.filter((_, i) => {
      const record = records[i];
      return (
        record !== undefined &&
        !isTombstone(record) &&
        record.rotatedAt === null &&
        record.expiresAt > deadline
      );
    });
  }

  /**
   * Deletes every token of a family, newest first along the chain, then the family and its
   * entry in the user's index, under the family's lock. A missing link ends the walk: the
   * tokens it led to were older, hence kept no longer, hence garbage-collected too. With
   * `userId`, a family of another user is left alone (a stale index entry is dropped).
   */
  async #endFamily(familyId: string, userId?: number): Promise<number> {
    const familyKey = this.#key('session', familyId);
    return this.#mutex.run(familyKey, async () => {
      const family = await this.#getFamily(familyKey);
      if (!family || (userId !== undefined && family.userId !== userId)) {
        if (userId !== undefined) await this.#unindexFamily(userId, familyId);
        return 0;
      }
      let deleted = 0;
      const visited = new Set<string>();
      let hash: string | undefined = family.head;
      // The newest token goes first: a crash mid-walk leaves only rotated tokens behind.
      while (hash !== undefined && !visited.has(hash)) {
        visited.add(hash);
        const stored = await this.#takeRecord(this.#key('rt', hash), hash);
        if (!stored) break;
        if (!isTombstone(stored)) deleted++;
        hash = stored.prev;
      }
      await this.#delete(familyKey);
      await this.#unindexFamily(family.userId, familyId);
      return deleted;
    });
  }

  /** Deletes a token record (a tombstone too) under its lock; returns what it was. */
  async #takeRecord(key: string, tokenHash: string): Promise<StoredToken | Tombstone | undefined> {
    return this.#mutex.run(key, async () => {
      const stored = await this.#getToken(tokenHash);
      if (stored) await this.#delete(key);
      return stored;
    });
  }

  /**
   * Records in the user's index that `familyId` is kept no later than `indexedUntil`
   * (the caller holds the family's lock). Entries whose bound is at or before `deadline`
   * are dropped when their family is gone (only those are read).
   */
  async #indexFamily(
    userId: number,
    familyId: string,
    indexedUntil: number,
    deadline: number,
  ): Promise<void> {
    const key = this.#key('sessions', userId);
    await this.#mutex.run(key, async () => {
      const entries: IndexEntry[] = [];
      for (const entry of await this.#getIndex(key)) {
        const [id, bound] = entry;
        if (id === familyId) continue;
        // Only an entry whose bound has passed can be stale: it stays while its family does.
        const alive =
          bound > deadline || (await this.#getFamily(this.#key('session', id)))?.userId === userId;
        if (alive) entries.push(entry);
      }
      entries.push([familyId, indexedUntil]);
      await this.#writeIndex(key, entries);
    });
  }

  /** Removes `familyId` from the user's index (the caller holds the family's lock). */
  async #unindexFamily(userId: number, familyId: string): Promise<void> {
    const key = this.#key('sessions', userId);
    await this.#mutex.run(key, async () => {
      const entries = await this.#getIndex(key);
      const kept = entries.filter(([id]) => id !== familyId);
      if (kept.length !== entries.length) await this.#writeIndex(key, kept);
    });
  }

  /** Writes an index kept as long as its longest-kept family, or deletes it when empty. */
  async #writeIndex(key: string, entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length === 0) {
      await this.#delete(key);
      return;
    }
    const lastBound = Math.max(...entries.map(([, bound]) => bound));
    await this.#set(key, entries, this.#ttlUntil(lastBound));
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

function isTombstone(record: StoredToken | Tombstone): record is Tombstone {
  return (record as Partial<Tombstone>).deleted === true;
}

/** The port's fields of a stored token, without the chain's. */
function portFields(record: RefreshTokenRecord): RefreshTokenRecord {
  const { tokenHash, userId, familyId, createdAt, expiresAt, rotatedAt } = record;
  return { tokenHash, userId, familyId, createdAt, expiresAt, rotatedAt };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
