/**
 * The factories of the SQL store and the programmatic migration functions: each opens a
 * driver (loading the optional peers `pg`, `better-sqlite3` and `kysely` on first use),
 * checks the schema version and hands the driver to a {@link SqlStore}.
 *
 * @module
 */

import { closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import { ConfigError, StoreError } from '../../errors.js';
import { loadPeer } from '../../lib/load-peer.js';
import { integerOption, millisecondsOption } from '../../lib/options.js';
import { WalCheckpointer } from './checkpointer.js';
import { BetterSqliteDriver, KyselyDriver } from './drivers.js';
import {
  applyMigrations,
  readSchemaStatus,
  type SqlMigrationResult,
  type SqlSchemaStatus,
  statusOf,
} from './migrate.js';
import { foreignKeysOn } from './operations.js';
import type { Driver } from './plan.js';
import { SCHEMA_VERSION } from './schema.js';
import { SqlStore, type SqlStoreSettings } from './sql-store.js';
import type { SqlDialect } from './statements.js';
import { parseDatabaseUrl } from './url.js';
import { UserCache } from './user-cache.js';

const SUBPATH = 'token-auth/sql';

/** Options every SQL store factory takes. */
export interface SqlStoreOptions {
  /**
   * Apply pending schema migrations when the store opens. Off by default: a store whose
   * database is behind refuses to open and names the command that migrates it
   * (`npx token-auth migrate up --url <DATABASE_URL>`), so that schema changes happen when
   * an operator runs them, not as a side effect of a deployment.
   * @defaultValue `false`
   */
  migrate?: boolean | undefined;
  /**
   * How long, in milliseconds, an expired session, rotated-token entry or ended throttling
   * window is kept before a purge deletes it. Until then a token of an expired session
   * answers `expired` rather than `unknown`.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number | undefined;
  /**
   * Wall-clock interval, in milliseconds, between automatic purges of expired rows (an
   * unref'd timer); `0` turns it off ({@link SqlStore.purgeExpired} still works).
   * @defaultValue `3_600_000` (one hour)
   */
  purgeIntervalMs?: number | undefined;
  /**
   * The most rows one purge DELETE removes (see {@link SqlStore.purgeExpired}).
   * @defaultValue `1000`
   */
  purgeBatchSize?: number | undefined;
}

/** Options of {@link createPostgresStore}: exactly one of `connectionString` and `pool`. */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`); the store makes its pool. */
  connectionString?: string | undefined;
  /**
   * A `pg` pool of the application. The store runs its statements on it and never ends it:
   * `close()` leaves it open.
   */
  pool?: Pool | undefined;
  /**
   * Size of the pool the store makes from `connectionString`.
   * @defaultValue `10`
   */
  maxConnections?: number | undefined;
}

/** Options of {@link createSqliteSqlStore}: exactly one of `path` and `database`. */
export interface SqliteSqlStoreOptions extends SqlStoreOptions {
  /**
   * The database file, created (mode 0600, parent directories included) when missing;
   * `':memory:'` for a private in-memory database. Several processes may open one file.
   */
  path?: string | undefined;
  /**
   * An open better-sqlite3 database of the application. The store turns its foreign keys on
   * and leaves its other pragmas alone; `close()` leaves it open.
   */
  database?: BetterSqlite3.Database | undefined;
  /**
   * How long, in milliseconds, a statement waits for another connection's write lock before
   * failing with `SQLITE_BUSY` (only for a `path`).
   * @defaultValue `5000`
   */
  busyTimeoutMs?: number | undefined;
  /**
   * How many users a SQLite file store keeps in memory for profile reads, checked against
   * the WAL-index header of the `-shm` file and SQLite's `data_version` once per turn of the
   * event loop, so that a read misses a commit of another process only when that commit is
   * less than about one turn old (see the stores guide); `0` turns it off. A lent `database`
   * is never cached.
   * @defaultValue `10_000`
   */
  userCacheSize?: number | undefined;
  /**
   * Checkpoint the file's write-ahead log from a worker thread, off the event loop (only for
   * a `path` that is a file). `false`: SQLite checkpoints on the store's connection after
   * commits, as by default. See the stores guide, "SQLite: checkpoints".
   * @defaultValue `true`
   */
  backgroundCheckpoints?: boolean | undefined;
}

/** Options of {@link createSqlStore} with the application's own Kysely instance. */
export interface KyselySqlStoreOptions extends SqlStoreOptions {
  /**
   * The application's Kysely instance, whose pool the store's statements share (its plugins
   * are bypassed; `close()` leaves it open). Or a transaction of it: the store's calls then
   * run inside that transaction (commit or roll back together with the application's
   * statements) and it purges nothing by itself.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any database type of the application fits.
  db: Kysely<any>;
  /** The dialect of `db`. */
  dialect: SqlDialect;
}

/** Options of {@link createSqlStore} with a database URL. */
export interface UrlSqlStoreOptions extends SqlStoreOptions {
  /** `postgres://…`, `postgresql://…` or `sqlite://<path>`. */
  url: string;
  /**
   * PostgreSQL: size of the pool.
   * @defaultValue `10`
   */
  maxConnections?: number | undefined;
  /**
   * SQLite: how long, in milliseconds, a statement waits for a lock.
   * @defaultValue `5000`
   */
  busyTimeoutMs?: number | undefined;
  /**
   * SQLite: how many users are kept in memory for profile reads (see
   * {@link SqliteSqlStoreOptions.userCacheSize}); `0` turns it off.
   * @defaultValue `10_000`
   */
  userCacheSize?: number | undefined;
  /**
   * SQLite: checkpoint the write-ahead log from a worker thread (see
   * {@link SqliteSqlStoreOptions.backgroundCheckpoints}).
   * @defaultValue `true`
   */
  backgroundCheckpoints?: boolean | undefined;
}

/** A database the migration functions work on: a URL, or a Kysely instance and its dialect. */
export type SqlMigrationTarget = SqlUrlTarget | SqlKyselyTarget;

/** A database given by its URL. */
export interface SqlUrlTarget {
  /** `postgres://…`, `postgresql://…` or `sqlite://<path>`. */
  url: string;
  /** Not with `url`. */
  db?: undefined;
}

/** A database given by the application's Kysely instance. */
export interface SqlKyselyTarget {
  /** The application's Kysely instance (left open). */
  // biome-ignore lint/suspicious/noExplicitAny: any database type of the application fits.
  db: Kysely<any>;
  /** The dialect of `db`. */
  dialect: SqlDialect;
  /** Not with `db`. */
  url?: undefined;
}

function resolveSettings(who: string, options: SqlStoreOptions): SqlStoreSettings & { migrate: boolean } {
  if (options.migrate !== undefined && typeof options.migrate !== 'boolean') {
    throw new ConfigError(`${who}: migrate must be a boolean`);
  }
  return {
    migrate: options.migrate ?? false,
    gcGraceMs: millisecondsOption(`${who}: gcGraceMs`, options.gcGraceMs, 60_000),
    purgeIntervalMs: millisecondsOption(`${who}: purgeIntervalMs`, options.purgeIntervalMs, 3_600_000),
    purgeBatchSize: integerOption(`${who}: purgeBatchSize`, options.purgeBatchSize, 1000, 1, 1_000_000),
  };
}

/**
 * Opens a {@link SqlStore} on PostgreSQL, through Kysely and `pg` (optional peers), and checks
 * the schema version.
 *
 * @param options - The database (`connectionString` or `pool`) and the store options.
 * @returns The open store.
 * @throws {@link "token-auth"!ConfigError} for a bad option, or when `kysely` or `pg` is not installed.
 * @throws {@link "token-auth"!StoreError} when the database cannot be reached, or its schema is behind
 *   (without `migrate: true`) or ahead of this release; a pool made here is ended again.
 * @example
 * ```ts
 * import { createPostgresStore } from 'token-auth/sql';
 *
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * // on shutdown
 * await store.close();
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const who = 'createPostgresStore';
  const settings = resolveSettings(who, options);
  const driver = await postgresDriver(who, options);
  return openStore(driver, settings);
}

/**
 * Opens a {@link SqlStore} on a SQLite file through better-sqlite3 (an optional peer), and
 * checks the schema version. A new file, its `-wal` and `-shm` are created with mode 0600.
 * The connection uses `journal_mode=WAL`, `synchronous=NORMAL`, `foreign_keys=ON` and a
 * busy timeout, and no exclusive lock: several processes can share the file, each write
 * transaction beginning IMMEDIATE.
 *
 * @param options - The database (`path` or `database`) and the store options.
 * @returns The open store.
 * @throws {@link "token-auth"!ConfigError} for a bad option, or when `better-sqlite3` is not installed.
 * @throws {@link "token-auth"!StoreError} when the file cannot be opened, or its schema is behind
 *   (without `migrate: true`) or ahead of this release.
 * @example
 * ```ts
 * import { createSqliteSqlStore } from 'token-auth/sql';
 *
 * const store = await createSqliteSqlStore({ path: './data/auth.sqlite', migrate: true });
 * ```
 */
export async function createSqliteSqlStore(options: SqliteSqlStoreOptions): Promise<SqlStore> {
  const who = 'createSqliteSqlStore';
  const settings = resolveSettings(who, options);
  const driver = await sqliteDriver(who, options);
  return openStore(driver, withUserCache(who, driver, settings, options.userCacheSize));
}

/**
 * Opens a {@link SqlStore} on the application's own Kysely instance (sharing its pool), or
 * on a database URL, and checks the schema version.
 *
 * @param options - `{ db, dialect }` or `{ url }`, and the store options.
 * @returns The open store.
 * @throws {@link "token-auth"!ConfigError} for a bad option or URL, or when a driver is not installed.
 * @throws {@link "token-auth"!StoreError} when the database cannot be reached, or its schema is behind
 *   (without `migrate: true`) or ahead of this release.
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from 'kysely';
 * import { createSqlStore } from 'token-auth/sql';
 *
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
 * const store = await createSqlStore({ db, dialect: 'postgres' });
 * // or
 * const other = await createSqlStore({ url: 'sqlite://./data/auth.sqlite', migrate: true });
 * ```
 */
export async function createSqlStore(options: KyselySqlStoreOptions | UrlSqlStoreOptions): Promise<SqlStore> {
  const who = 'createSqlStore';
  const settings = resolveSettings(who, options ?? {});
  // A store on a transaction lives as long as the transaction: no purge timer.
  if ((options as KyselySqlStoreOptions).db?.isTransaction) settings.purgeIntervalMs = 0;
  const driver = await targetDriver(who, options);
  return openStore(
    driver,
    withUserCache(who, driver, settings, (options as UrlSqlStoreOptions).userCacheSize),
  );
}

/**
 * Applies every pending migration of the SQL store's schema: what `token-auth migrate up`
 * does. Safe to run twice (the second run applies nothing) and from several processes at
 * once (they take turns under a lock).
 *
 * @param target - `{ url }`, or `{ db, dialect }` with the application's Kysely instance.
 * @returns The migrations applied by this call and the schema after it.
 * @throws {@link "token-auth"!ConfigError} for a bad URL or a missing driver.
 * @throws {@link "token-auth"!StoreError} when the schema is ahead of this release.
 * @example
 * ```ts
 * import { migrateSqlSchema } from 'token-auth/sql';
 *
 * const { applied } = await migrateSqlSchema({ url: process.env.DATABASE_URL });
 * ```
 */
export async function migrateSqlSchema(target: SqlMigrationTarget): Promise<SqlMigrationResult> {
  const driver = await targetDriver('migrateSqlSchema', target);
  try {
    const result = await driver.run(applyMigrations(driver.dialect, Date.now()));
    if (result.status.current > SCHEMA_VERSION) throw aheadError(result.status);
    return result;
  } finally {
    await driver.close();
  }
}

/**
 * Reads where the SQL store's schema stands, without changing anything: what
 * `token-auth migrate status` prints. A `sqlite://` file that does not exist is reported at
 * version 0 and is not created.
 *
 * @param target - `{ url }`, or `{ db, dialect }` with the application's Kysely instance.
 * @returns The current and required versions, the applied and the pending migrations.
 * @throws {@link "token-auth"!ConfigError} for a bad URL or a missing driver.
 * @example
 * ```ts
 * import { getSqlSchemaStatus } from 'token-auth/sql';
 *
 * const { current, required } = await getSqlSchemaStatus({ url: process.env.DATABASE_URL });
 * ```
 */
export async function getSqlSchemaStatus(target: SqlMigrationTarget): Promise<SqlSchemaStatus> {
  const who = 'getSqlSchemaStatus';
  if (target?.url !== undefined) {
    const parsed = parseDatabaseUrl(target.url, who);
    if (parsed.dialect === 'sqlite' && !isMemory(parsed.path) && !existsSync(parsed.path)) {
      return statusOf([]);
    }
  }
  const driver = await targetDriver(who, target);
  try {
    return await driver.run(readSchemaStatus());
  } finally {
    await driver.close();
  }
}

/** Checks the schema (migrating when asked), then makes the store; closes the driver on failure. */
/** The settings, with a user cache when the store owns a better-sqlite3 connection. */
function withUserCache<S extends SqlStoreSettings>(
  who: string,
  driver: Driver,
  settings: S,
  size: number | undefined,
): S {
  const entries = integerOption(`${who}: userCacheSize`, size, 10_000, 0, 1_000_000);
  if (entries === 0 || !(driver instanceof BetterSqliteDriver) || !driver.owned) return settings;
  return { ...settings, userCache: new UserCache(driver.database, entries) };
}

async function openStore(
  driver: Driver,
  settings: SqlStoreSettings & { migrate: boolean },
): Promise<SqlStore> {
  try {
    let status: SqlSchemaStatus;
    try {
      status = await driver.run(readSchemaStatus());
    } catch (error) {
      throw new StoreError(`${SUBPATH}: cannot read the schema version of the database`, { cause: error });
    }
    if (status.current < SCHEMA_VERSION) {
      if (!settings.migrate) {
        throw new StoreError(
          `${SUBPATH}: the database schema is at version ${status.current} but this release of token-auth needs version ${SCHEMA_VERSION}. ` +
            'Apply the migrations with `npx token-auth migrate up --url <DATABASE_URL>` ' +
            '(or open the store with `migrate: true`).',
        );
      }
      status = (await driver.run(applyMigrations(driver.dialect, Date.now()))).status;
    }
    if (status.current > SCHEMA_VERSION) throw aheadError(status);
    return new SqlStore(driver, settings);
  } catch (error) {
    settings.userCache?.close();
    await driver.close().catch(() => undefined);
    throw error;
  }
}

function aheadError(status: SqlSchemaStatus): StoreError {
  return new StoreError(
    `${SUBPATH}: the database schema is at version ${status.current}, newer than this release of token-auth knows ` +
      `(${SCHEMA_VERSION}): upgrade token-auth`,
  );
}

async function targetDriver(
  who: string,
  options: KyselySqlStoreOptions | UrlSqlStoreOptions | SqlMigrationTarget,
): Promise<Driver> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(`${who}: pass { url } or { db, dialect }`);
  }
  const { url, db, dialect } = options as Partial<UrlSqlStoreOptions & KyselySqlStoreOptions>;
  if (url !== undefined) {
    if (db !== undefined) throw new ConfigError(`${who}: give either url or db, not both`);
    const target = parseDatabaseUrl(url, who);
    const extra = options as UrlSqlStoreOptions;
    return target.dialect === 'postgres'
      ? postgresDriver(who, {
          connectionString: target.connectionString,
          maxConnections: extra.maxConnections,
        })
      : sqliteDriver(who, {
          path: target.path,
          busyTimeoutMs: extra.busyTimeoutMs,
          backgroundCheckpoints: extra.backgroundCheckpoints,
        });
  }
  if (typeof db !== 'object' || db === null || typeof db.executeQuery !== 'function') {
    throw new ConfigError(`${who}: db must be a Kysely instance (or pass url)`);
  }
  if (dialect !== 'postgres' && dialect !== 'sqlite') {
    throw new ConfigError(`${who}: dialect must be 'postgres' or 'sqlite'`);
  }
  const { CompiledQuery } = await loadPeer<typeof import('kysely')>('kysely', SUBPATH);
  const driver = new KyselyDriver(db, dialect, CompiledQuery.raw, false);
  if (dialect === 'sqlite') await driver.run(foreignKeysOn());
  return driver;
}

async function postgresDriver(who: string, options: PostgresStoreOptions): Promise<Driver> {
  const { connectionString, pool } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new ConfigError(`${who}: give exactly one of connectionString and pool`);
  }
  if (connectionString !== undefined) parseDatabaseUrl(connectionString, who);
  const max = integerOption(`${who}: maxConnections`, options.maxConnections, 10, 1, 10_000);
  const [kysely, pg] = await Promise.all([
    loadPeer<typeof import('kysely')>('kysely', SUBPATH),
    loadPeer<typeof import('pg') & { default?: typeof import('pg') }>('pg', SUBPATH),
  ]);
  let ownPool: Pool | undefined;
  if (pool === undefined) {
    ownPool = new (pg.default ?? pg).Pool({ connectionString, max });
    // An idle client that loses its connection is dropped by the pool and replaced on the
    // next query; without a listener, the event would crash the process.
    ownPool.on('error', () => undefined);
  }
  const db = new kysely.Kysely<unknown>({
    dialect: new kysely.PostgresDialect({ pool: ownPool ?? (pool as Pool) }),
  });
  return new KyselyDriver(db, 'postgres', kysely.CompiledQuery.raw, ownPool !== undefined);
}

const isMemory = (path: string) => path === ':memory:' || path.startsWith('file::memory:');

async function sqliteDriver(who: string, options: SqliteSqlStoreOptions): Promise<Driver> {
  const { path, database } = options;
  if ((path === undefined) === (database === undefined)) {
    throw new ConfigError(`${who}: give exactly one of path and database`);
  }
  const busyTimeoutMs = integerOption(`${who}: busyTimeoutMs`, options.busyTimeoutMs, 5000, 0, 2_147_483_647);
  if (database !== undefined) {
    if (typeof database !== 'object' || database === null || typeof database.prepare !== 'function') {
      throw new ConfigError(`${who}: database must be an open better-sqlite3 Database`);
    }
    const driver = new BetterSqliteDriver(database, false);
    driver.run(foreignKeysOn());
    return driver;
  }
  if (typeof path !== 'string' || path === '')
    throw new ConfigError(`${who}: path must be a non-empty string`);
  const background = options.backgroundCheckpoints ?? true;
  if (typeof background !== 'boolean')
    throw new ConfigError(`${who}: backgroundCheckpoints must be a boolean`);
  const module = await loadPeer<{ default: typeof BetterSqlite3 }>('better-sqlite3', SUBPATH);
  let db: BetterSqlite3.Database;
  try {
    db = openSqliteFile(module.default, path, busyTimeoutMs);
  } catch (error) {
    throw new StoreError(`${who}: cannot open the SQLite database file`, { cause: error });
  }
  const driverPath = background && !isMemory(path) ? resolveBetterSqlite3() : undefined;
  const checkpointer = driverPath === undefined ? undefined : new WalCheckpointer(db, driverPath);
  return new BetterSqliteDriver(db, true, checkpointer);
}

/**
 * Where the worker of the checkpoints loads better-sqlite3 from: the package this module
 * resolves. `undefined` when it cannot be resolved by path (an application bundled into one
 * file, say): the store then leaves the checkpoints to SQLite.
 */
function resolveBetterSqlite3(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return undefined;
  }
}

/**
 * Opens a SQLite file for the store: created with mode 0600 (and its parent directories)
 * when missing, then `journal_mode=WAL` (readers never block the writer; processes share the
 * file), `synchronous=NORMAL` (no fsync per commit: durable at checkpoints, a power cut may
 * lose the last commits but never corrupts), `foreign_keys=ON` and the busy timeout.
 *
 * @param Database - better-sqlite3's constructor.
 * @param path - The file, or `':memory:'`.
 * @param busyTimeoutMs - How long a statement waits for another connection's lock.
 * @returns The open database.
 */
export function openSqliteFile(
  Database: typeof BetterSqlite3,
  path: string,
  busyTimeoutMs: number,
): BetterSqlite3.Database {
  if (!isMemory(path)) createPrivateFile(path);
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Creates the database file with mode 0600 when it does not exist (SQLite gives its `-wal`
 * and `-shm` files the mode of the database file).
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
}
