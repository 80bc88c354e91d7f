/**
 * The SQLite store: a {@link KeyvStore} over `@keyv/sqlite` on one file, tuned for it.
 *
 * @module
 */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KeyvSqlite } from '@keyv/sqlite';
import { ConfigError, StoreError } from '../errors.js';
import { KeyvStore, type KeyvStoreOptions } from './keyv.js';

/** Options of {@link createSqliteStore}: exactly one of `path` and `uri`. */
export interface SqliteStoreOptions extends Omit<KeyvStoreOptions, 'purgeExpired'> {
  /**
   * The database file. Its parent directory is created when missing. `':memory:'` keeps
   * the database in memory (lost on close).
   */
  path?: string;
  /** The database as a `sqlite://` URI, e.g. `sqlite://./data/auth.sqlite`. */
  uri?: string;
  /**
   * Table holding the records.
   * @defaultValue `'keyv'`
   */
  table?: string;
  /**
   * How long, in milliseconds, a write waits for a lock held by another connection before
   * failing with `SQLITE_BUSY` (`PRAGMA busy_timeout`).
   * @defaultValue `5000`
   */
  busyTimeoutMs?: number;
  /**
   * Wall-clock interval, in milliseconds, between purges of expired rows (SQLite drops
   * an expired row only when it is read, so unread ones are purged by this); `0` turns
   * the timer off ({@link KeyvStore.sweep} still works).
   * @defaultValue `3_600_000` (one hour)
   */
  sweepIntervalMs?: number;
  /**
   * Hold the file exclusively (`PRAGMA locking_mode=EXCLUSIVE`) for as long as the store is
   * open. The store's atomicity comes from an in-process mutex, so two processes sharing one
   * file could both consume one refresh token; with this lock, a second process fails at
   * start with a {@link StoreError} saying so, instead of silently breaking that guarantee.
   * Turn it off only for read-only inspection by other tools while nothing else writes.
   * @defaultValue `true`
   */
  exclusive?: boolean;
}

/**
 * A {@link KeyvStore} on a SQLite file, as returned by {@link createSqliteStore}; it can
 * also read the pragmas of its connection.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'token-auth';
 *
 * const store = await createSqliteStore({ path: './data/auth.sqlite' });
 * await store.readPragma('journal_mode'); // 'wal'
 * await store.close(); // releases the file and its lock
 * ```
 */
export class SqliteStore extends KeyvStore {
  readonly #adapter: KeyvSqlite;

  /**
   * Use {@link createSqliteStore}, which opens the file and sets the pragmas first.
   *
   * @param adapter - An open `@keyv/sqlite` adapter.
   * @param options - {@link KeyvStore} options.
   */
  constructor(adapter: KeyvSqlite, options: Omit<KeyvStoreOptions, 'purgeExpired'> = {}) {
    // Given the adapter, KeyvStore wraps it in a Keyv that serializes with native JSON.
    super(adapter, {
      ...options,
      purgeExpired: (now) => (this as SqliteStore).#purgeExpired(now),
    });
    this.#adapter = adapter;
  }

  /**
   * Reads one pragma of the store's own connection (per-connection pragmas such as
   * `synchronous` and `busy_timeout` differ from a second connection's).
   *
   * @param name - The pragma, e.g. `'journal_mode'`.
   * @returns Its value, e.g. `'wal'`.
   * @throws {@link StoreError} when the name is not a plain identifier or the query fails.
   * @example
   * ```ts
   * await store.readPragma('journal_mode'); // 'wal'
   * ```
   */
  async readPragma(name: string): Promise<unknown> {
    if (!/^[a-z_]+$/.test(name)) throw new StoreError('readPragma: name must be a plain pragma name');
    try {
      const rows = (await this.#adapter.query(`PRAGMA ${name}`)) as Record<string, unknown>[];
      const first = rows[0];
      return first === undefined ? undefined : Object.values(first)[0];
    } catch (error) {
      throw new StoreError(`readPragma(${name}) failed`, { cause: error });
    }
  }

  /** Deletes this store's rows whose Keyv expiry is at or before `now`, in one statement. */
  async #purgeExpired(now: number): Promise<number> {
    const prefix = `${this.keyv.namespace ? `${this.keyv.namespace}:` : ''}${this.keyPrefix}`;
    const rows = (await this.#adapter.query(
      `DELETE FROM ${this.#adapter.opts.table} WHERE substr(key, 1, length(?)) = ? ` +
        `AND CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END <= ? RETURNING key`,
      prefix,
      prefix,
      now,
    )) as unknown[];
    return rows.length;
  }
}

/**
 * Opens (or creates) a SQLite database file and returns a store on it: a
 * {@link KeyvStore} over `@keyv/sqlite`, with the parent directory created and the
 * connection tuned before first use: `journal_mode=WAL` (readers never block the writer),
 * `synchronous=NORMAL` (no fsync per commit; durable at each WAL checkpoint, safe
 * against corruption) and `busy_timeout`. Expired rows are purged hourly.
 *
 * One process per file: the store's atomicity comes from an in-process mutex (see
 * {@link KeyvStore}), so the file is locked exclusively while the store is open (see
 * {@link SqliteStoreOptions.exclusive}) and a second process fails fast. `close()` closes the
 * file and releases the lock.
 *
 * @param options - The file (`path` or `uri`) and the store options.
 * @returns The open store.
 * @throws {@link ConfigError} when neither or both of `path` and `uri` are given, or an
 *   option is out of range.
 * @throws {@link StoreError} when the file cannot be opened or configured.
 * @example
 * ```ts
 * import { createSqliteStore, createTokenAuth } from 'token-auth';
 *
 * const store = await createSqliteStore({ path: './data/auth.sqlite' });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * // on shutdown
 * await store.close();
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const {
    path,
    uri,
    table,
    busyTimeoutMs = 5000,
    sweepIntervalMs = 3_600_000,
    exclusive = true,
    ...storeOptions
  } = options ?? {};
  if ((path === undefined) === (uri === undefined)) {
    throw new ConfigError('createSqliteStore: give exactly one of path and uri');
  }
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new ConfigError('createSqliteStore: path must be a non-empty string');
  }
  if (uri !== undefined && (typeof uri !== 'string' || !uri.startsWith('sqlite://') || uri === 'sqlite://')) {
    throw new ConfigError('createSqliteStore: uri must be a sqlite:// URI naming a file');
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigError('createSqliteStore: busyTimeoutMs must be a non-negative integer');
  }
  const file = path ?? (uri as string).slice('sqlite://'.length);
  const inMemory = file === ':memory:' || file.startsWith('file::memory:');
  if (!inMemory) {
    try {
      mkdirSync(dirname(resolve(file)), { recursive: true });
    } catch (error) {
      throw new StoreError('createSqliteStore: cannot create the directory of the database file', {
        cause: error,
      });
    }
  }

  // Loaded on first use, so that importing token-auth does not load the native sqlite3 binding.
  const { KeyvSqlite } = await import('@keyv/sqlite');
  // While taking the exclusive lock, wait only briefly: a lock held by another store is held
  // for that store's lifetime, so waiting the full busy timeout would only delay the failure.
  const lockAttempt = exclusive && !inMemory;
  const adapter = new KeyvSqlite({
    uri: `sqlite://${file}`,
    busyTimeout: lockAttempt ? Math.min(busyTimeoutMs, 250) : busyTimeoutMs,
    ...(table ? { table } : {}),
  });
  try {
    // @keyv/sqlite runs every statement on this one connection: the pragmas apply to it.
    await adapter.query('PRAGMA journal_mode=WAL');
    await adapter.query('PRAGMA synchronous=NORMAL');
    if (lockAttempt) {
      // Exclusive locking mode keeps the lock taken by the first write until the connection
      // closes: an empty exclusive transaction takes it now.
      await adapter.query('PRAGMA locking_mode=EXCLUSIVE');
      await adapter.query('BEGIN EXCLUSIVE');
      await adapter.query('COMMIT');
    }
    await adapter.query(`PRAGMA busy_timeout=${busyTimeoutMs}`);
  } catch (error) {
    await adapter.close().catch(() => undefined);
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_BUSY') {
      throw new StoreError(
        'createSqliteStore: the database file is in use by another process; a SQLite store serves one process (run several on the Redis store)',
        { cause: error },
      );
    }
    throw new StoreError('createSqliteStore: cannot open or configure the database file', { cause: error });
  }
  return new SqliteStore(adapter, { ...storeOptions, sweepIntervalMs });
}
