/**
 * The SQL store: the port's operations as SQL statements on PostgreSQL or SQLite.
 *
 * @module
 */

import { StoreError } from '../../errors.js';
import { endOfTurn } from '../../lib/turn.js';
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
import * as operations from './operations.js';
import type { Driver, Plan } from './plan.js';
import type { SqlDialect } from './statements.js';
import type { UserCache } from './user-cache.js';

/** How many expired rows {@link SqlStore.purgeExpired} deleted, per table. */
export interface PurgeResult {
  /** Rotated-token entries past their own expiry. */
  rotatedTokens: number;
  /** Expired sessions (with the rotated-token entries they still had). */
  sessions: number;
  /** Throttling counters whose window had ended. */
  counters: number;
}

/** Options of {@link SqlStore.purgeExpired}. */
export interface PurgeOptions {
  /**
   * The most rows one DELETE statement removes; the purge repeats it until a batch comes
   * back short, letting other work run between batches.
   * @defaultValue the store's `purgeBatchSize` (1000 unless set)
   */
  batchSize?: number | undefined;
}

/** The store's resolved settings (see `SqlStoreOptions`). @internal */
export interface SqlStoreSettings {
  gcGraceMs: number;
  purgeIntervalMs: number;
  purgeBatchSize: number;
  /** Users by id, on a SQLite connection the store owns. */
  userCache?: UserCache | undefined;
}

/**
 * A {@link TokenAuthStore} on PostgreSQL or SQLite, made by `createPostgresStore`,
 * `createSqliteSqlStore` or `createSqlStore` (which check the schema version first). Every
 * method is one SQL statement or one short transaction, atomic across every process sharing
 * the database. Expired rows are deleted by {@link SqlStore.purgeExpired}, on a timer and on
 * demand. Tables, indexes and figures: see the stores guide.
 *
 * @example
 * ```ts
 * import { createTokenAuth } from 'token-auth';
 * import { createPostgresStore } from 'token-auth/sql';
 *
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 */
export class SqlStore implements TokenAuthStore {
  /** The database's dialect. */
  readonly dialect: SqlDialect;
  readonly #driver: Driver;
  readonly #settings: SqlStoreSettings;
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #purging: Promise<PurgeResult> | undefined;
  #closed = false;

  /**
   * Use the factories, which open the database and check its schema first.
   * @internal
   */
  constructor(driver: Driver, settings: SqlStoreSettings) {
    this.#driver = driver;
    this.dialect = driver.dialect;
    this.#settings = settings;
    if (settings.purgeIntervalMs > 0) {
      this.#timer = setInterval(() => {
        // A purge still running is not started twice; a failed one is retried at the next tick
        // and must not crash the process (the rows it missed stay harmless until then).
        if (this.#purging === undefined) this.purgeExpired(Date.now()).catch(() => undefined);
      }, settings.purgeIntervalMs);
      this.#timer.unref();
    }
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.createUser} */
  createUser(user: NewUserRecord): Promise<UserRecord> {
    return this.#run(operations.createUser(user));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserById} */
  async getUserById(id: number): Promise<UserRecord | undefined> {
    const cache = this.#settings.userCache;
    const cached = cache?.get(id);
    if (cached !== undefined) return cached;
    const user = await this.#run(operations.getUserById(id));
    if (user !== undefined) cache?.set(user);
    return user;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserByEmailKey} */
  getUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    return this.#run(operations.getUserByEmailKey(emailKey));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateUser} */
  async updateUser(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    const user = await this.#run(operations.updateUser(id, patch));
    if (user !== undefined) this.#settings.userCache?.set(user);
    return user;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.startSession} */
  startSession(session: NewSessionRecord): Promise<void> {
    return this.#run(operations.startSession(session));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.rotate} */
  rotate(presentedHash: string, next: NextHead, now: number): Promise<RotateResult> {
    return this.#run(operations.rotate(this.dialect, presentedHash, next, now), true);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endSession} */
  endSession(userId: number, sessionId: string): Promise<boolean> {
    return this.#run(operations.endSession(userId, sessionId));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endUserSessions} */
  endUserSessions(userId: number, options: { except?: string | undefined } = {}): Promise<number> {
    return this.#run(operations.endUserSessions(userId, options.except));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSessions} */
  listSessions(userId: number, now: number): Promise<SessionRecord[]> {
    return this.#run(operations.listSessions(userId, now));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getSettings} */
  getSettings(): Promise<Partial<StoredSettings> | undefined> {
    return this.#run(operations.getSettings());
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateSettings} */
  updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Promise<void> {
    return this.#run(operations.updateSettings(values, changes));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSettingsHistory} */
  listSettingsHistory(limit: number): Promise<SettingsChange[]> {
    return this.#run(operations.listSettingsHistory(limit));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.hit} */
  hit(key: string, windowMs: number, now: number): Promise<HitResult> {
    return this.#run(operations.hit(key, windowMs, now));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.peekHits} */
  peekHits(key: string, now: number): Promise<HitResult> {
    return this.#run(operations.peekHits(key, now));
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.resetHits} */
  resetHits(key: string): Promise<void> {
    return this.#run(operations.resetHits(key));
  }

  /**
   * Deletes, in batches, the rows that stopped mattering at least `gcGraceMs` before `now`:
   * rotated-token entries past their own expiry, expired sessions (their rotated-token
   * entries with them) and ended throttling windows. Each batch is one DELETE of at most
   * `batchSize` rows; other calls run between batches. The store runs it every
   * `purgeIntervalMs` by itself.
   *
   * @param now - Epoch ms to purge as of; the wall clock by default.
   * @param options - `batchSize`: the most rows per DELETE.
   * @returns How many rows went, per table.
   * @throws {@link "token-auth"!StoreError} when the store is closed; the database's error when a DELETE fails.
   * @example
   * ```ts
   * const { sessions } = await store.purgeExpired(Date.now(), { batchSize: 500 });
   * ```
   */
  purgeExpired(now: number = Date.now(), options: PurgeOptions = {}): Promise<PurgeResult> {
    const batchSize = options.batchSize ?? this.#settings.purgeBatchSize;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      return Promise.reject(new StoreError('purgeExpired: batchSize must be a positive integer'));
    }
    const purging = this.#purge(now - this.#settings.gcGraceMs, batchSize);
    this.#purging = purging;
    const done = () => {
      if (this.#purging === purging) this.#purging = undefined;
    };
    purging.then(done, done);
    return purging;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.close} */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#purging?.catch(() => undefined);
    this.#settings.userCache?.close();
    await this.#driver.close();
  }

  async #purge(before: number, batchSize: number): Promise<PurgeResult> {
    const result: PurgeResult = { rotatedTokens: 0, sessions: 0, counters: 0 };
    for (const table of Object.keys(operations.PURGED) as (keyof typeof operations.PURGED)[]) {
      let deleted: number;
      do {
        deleted = await this.#run(operations.purgeBatch(table, before, batchSize));
        result[table] += deleted;
        // better-sqlite3 answers synchronously: let waiting I/O in between batches.
        if (deleted === batchSize) await endOfTurn();
      } while (deleted === batchSize);
    }
    return result;
  }

  /** Runs a plan; a `grouped` one shares its commit with others when the driver can (SQLite). */
  async #run<T>(plan: Plan<T>, grouped = false): Promise<T> {
    if (this.#closed) throw new StoreError('The store is closed');
    if (grouped && this.#driver.runGrouped !== undefined) return this.#driver.runGrouped(plan);
    return this.#driver.run(plan);
  }
}
