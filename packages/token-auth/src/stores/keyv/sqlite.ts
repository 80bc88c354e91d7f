/**
 * The Keyv store on one SQLite file through `@keyv/sqlite`, tuned for it.
 *
 * @module
 */

import { closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as KeyvSqliteModule from '@keyv/sqlite';
import type { KeyvSqlite } from '@keyv/sqlite';
import type * as KeyvModule from 'keyv';
import type { Keyv } from 'keyv';
import { ConfigError, StoreError } from '../../errors.js';
import { loadPeer } from '../../lib/load-peer.js';
import { integerOption } from '../../lib/options.js';
import { KeyvStore, type KeyvStoreOptions } from './store.js';

/** Options of {@link createKeyvSqliteStore}: exactly one of `path` and `uri`. */
export interface KeyvSqliteStoreOptions extends KeyvStoreOptions {
  /**
   * The database file, created (mode 0600) with its parent directories when missing.
   * `':memory:'` keeps the database in memory, lost on close.
   */
  path?: string | undefined;
  /** The database as a `sqlite://` URI, e.g. `sqlite://./data/auth.sqlite`. */
  uri?: string | undefined;
  /**
   * Table holding the records.
   * @defaultValue `'keyv'`
   */
  table?: string | undefined;
  /**
   * How long, in milliseconds, a statement waits for a lock held by another connection
   * before failing with `SQLITE_BUSY` (`PRAGMA busy_timeout`).
   * @defaultValue `5000`
   */
  busyTimeoutMs?: number | undefined;
  /**
   * Wall-clock interval, in milliseconds, between purges of expired rows (SQLite drops an
   * expired row only when it is read); `0` turns the timer off.
   * @defaultValue `3_600_000` (one hour)
   */
  sweepIntervalMs?: number | undefined;
  /**
   * Hold the file exclusively (`PRAGMA locking_mode=EXCLUSIVE`) while the store is open. The
   * store's atomicity comes from an in-process lock, so two processes sharing the file could
   * both rotate one refresh token; with the lock, a second process fails at start with an
   * error saying so. Turn it off only to let other tools read the file while nothing else
   * writes to it.
   * @defaultValue `true`
   */
  exclusive?: boolean | undefined;
}

/**
 * A {@link KeyvStore} on a SQLite file, as returned by {@link createKeyvSqliteStore}: it
 * purges expired rows in two statements and reads the pragmas of its connection.
 *
 * @example
 * ```ts
 * const store = await createKeyvSqliteStore({ path: './data/auth.sqlite' });
 * await store.readPragma('journal_mode'); // 'wal'
 * ```
 */
export class KeyvSqliteStore extends KeyvStore {
  /** The `@keyv/sqlite` adapter: its one connection runs every statement of the store. */
  readonly adapter: KeyvSqlite;

  /**
   * Use {@link createKeyvSqliteStore}, which opens the file and sets the pragmas first.
   *
   * @param keyv - A Keyv instance over `adapter`.
   * @param adapter - The open `@keyv/sqlite` adapter.
   * @param options - {@link KeyvStore} options.
   * @example
   * ```ts
   * const store = new KeyvSqliteStore(new Keyv(adapter), adapter);
   * ```
   */
  constructor(keyv: Keyv, adapter: KeyvSqlite, options: KeyvStoreOptions = {}) {
    super(keyv, options);
    this.adapter = adapter;
  }

  /**
   * Reads one pragma of the store's connection (`synchronous` and `busy_timeout` are
   * per connection).
   *
   * @param name - The pragma, e.g. `'journal_mode'`.
   * @returns Its value, e.g. `'wal'`.
   * @throws {@link "token-auth"!ConfigError} when the name is not a plain pragma name.
   * @example
   * ```ts
   * await store.readPragma('synchronous'); // 1 (NORMAL)
   * ```
   */
  async readPragma(name: string): Promise<unknown> {
    if (!/^[a-z_]+$/.test(name)) throw new ConfigError('readPragma: name must be a plain pragma name');
    const [row] = (await this.adapter.query(`PRAGMA ${name}`)) as Record<string, unknown>[];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  /**
   * Deletes this store's rows that stopped mattering at or before `deadline` (or whose
   * Keyv expiry has passed), then its token entries whose session is gone: two
   * statements over the key index.
   *
   * @param deadline - Epoch ms of the callers' clock.
   * @returns How many rows were deleted.
   */
  protected override async purge(deadline: number): Promise<number> {
    const table = this.adapter.opts.table;
    const stored = (key: string) => (this.keyv.namespace ? `${this.keyv.namespace}:${key}` : key);
    // Every key of a kind lies in [prefix, prefix with its final ':' raised to ';').
    const range = (prefix: string) => [prefix, `${prefix.slice(0, -1)};`];
    const json = (path: string, column = 'value') =>
      `CASE WHEN json_valid(${column}) THEN json_extract(${column}, '${path}') END`;
    const expired = (await this.adapter.query(
      `DELETE FROM ${table} WHERE key >= ? AND key < ? AND (${json('$.expires')} <= ? OR ` +
        `coalesce(${json('$.value.expiresAt')}, ${json('$.value.resetAt')}) <= ?) RETURNING key`,
      ...range(stored(this.keyPrefix)),
      Date.now(),
      deadline,
    )) as unknown[];
    const orphans = (await this.adapter.query(
      `DELETE FROM ${table} WHERE key >= ? AND key < ? AND NOT EXISTS (SELECT 1 FROM ${table} AS s ` +
        `WHERE s.key = ? || ${json('$.value.sessionId', `${table}.value`)}) RETURNING key`,
      ...range(stored(`${this.keyPrefix}token:`)),
      stored(`${this.keyPrefix}session:`),
    )) as unknown[];
    return expired.length + orphans.length;
  }
}

/**
 * Opens (or creates) a SQLite database file and returns a {@link KeyvStore} on it, over
 * `@keyv/sqlite`. The file is created with mode 0600 (SQLite gives its `-wal` and `-shm`
 * files the same mode), and the connection is tuned before first use: `journal_mode=WAL`,
 * `synchronous=NORMAL` (durable at each checkpoint, never corrupt) and `busy_timeout`.
 * Expired rows are purged hourly.
 *
 * One process per file: the file is locked exclusively while the store is open (see
 * {@link KeyvSqliteStoreOptions.exclusive}), so a second process fails fast.
 *
 * @param options - The file (`path` or `uri`) and the store options.
 * @returns The open store; `close()` closes the file and releases its lock.
 * @throws {@link "token-auth"!ConfigError} when an option is unusable, or `keyv` or `@keyv/sqlite` is
 *   not installed.
 * @throws {@link "token-auth"!StoreError} when the file cannot be opened, or another process holds it.
 * @example
 * ```ts
 * import { createKeyvSqliteStore } from 'token-auth/keyv';
 *
 * const store = await createKeyvSqliteStore({ path: './data/auth.sqlite' });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 */
export async function createKeyvSqliteStore(options: KeyvSqliteStoreOptions): Promise<KeyvSqliteStore> {
  const { path, uri, table, busyTimeoutMs, exclusive = true, ...storeOptions } = options ?? {};
  if ((path === undefined) === (uri === undefined)) {
    throw new ConfigError('createKeyvSqliteStore: give exactly one of path and uri');
  }
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new ConfigError('createKeyvSqliteStore: path must be a non-empty string');
  }
  if (uri !== undefined && (typeof uri !== 'string' || !uri.startsWith('sqlite://') || uri === 'sqlite://')) {
    throw new ConfigError('createKeyvSqliteStore: uri must be a sqlite:// URI naming a file');
  }
  const busyTimeout = integerOption('busyTimeoutMs', busyTimeoutMs, 5000, 0, 2 ** 31 - 1);
  const file = path ?? (uri as string).slice('sqlite://'.length);
  const inMemory = file === ':memory:' || file.startsWith('file::memory:');

  const { Keyv } = await loadPeer<typeof KeyvModule>('keyv', 'token-auth/keyv');
  const { KeyvSqlite } = await loadPeer<typeof KeyvSqliteModule>('@keyv/sqlite', 'token-auth/keyv');
  if (!inMemory) createPrivateFile(file);

  // While taking the exclusive lock, wait only briefly: another store holds it for its
  // whole lifetime, so waiting the full busy timeout would only delay the failure.
  const lockAttempt = exclusive && !inMemory;
  const adapter = new KeyvSqlite({
    uri: `sqlite://${file}`,
    busyTimeout: lockAttempt ? Math.min(busyTimeout, 250) : busyTimeout,
    ...(table ? { table } : {}),
  });
  try {
    // @keyv/sqlite runs every statement on this one connection: the pragmas apply to it.
    await adapter.query('PRAGMA journal_mode=WAL');
    await adapter.query('PRAGMA synchronous=NORMAL');
    if (lockAttempt) {
      // Exclusive locking mode keeps the lock of the first write until the connection
      // closes: an empty exclusive transaction takes it now.
      await adapter.query('PRAGMA locking_mode=EXCLUSIVE');
      await adapter.query('BEGIN EXCLUSIVE');
      await adapter.query('COMMIT');
    }
    await adapter.query(`PRAGMA busy_timeout=${busyTimeout}`);
  } catch (error) {
    await adapter.close().catch(() => undefined);
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_BUSY') {
      throw new StoreError(
        'createKeyvSqliteStore: the database file is in use by another process; a Keyv store serves one process (share a database between processes with token-auth/sql or token-auth/redis)',
        { cause: error },
      );
    }
    throw new StoreError('createKeyvSqliteStore: cannot open or configure the database file', {
      cause: error,
    });
  }
  // Records are plain JSON: native JSON is several times faster than Keyv's default serializer.
  const keyv = new Keyv(adapter, { serialize: JSON.stringify, deserialize: JSON.parse });
  return new KeyvSqliteStore(keyv, adapter, {
    ...storeOptions,
    sweepIntervalMs: storeOptions.sweepIntervalMs ?? 3_600_000,
  });
}

/**
 * Creates `file` (and its directories) readable and writable by its owner only, unless it
 * exists; SQLite then opens it and gives its journal files the same mode.
 */
function createPrivateFile(file: string): void {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true, mode: 0o700 });
    const fd = openSync(file, 'wx', 0o600);
    try {
      // The umask may have taken bits off; this sets the mode exactly.
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return;
    throw new StoreError('createKeyvSqliteStore: cannot create the database file', { cause: error });
  }
}
