/**
 * Opening the store named by `DATABASE_URL`: one switch on the URL scheme, so that
 * another backend (for example `redis://` with token-auth's Redis adapter) is one case more.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TokenAuthStore } from 'token-auth';
import { MemoryStore } from 'token-auth';

/**
 * The file of a `sqlite://` (or `keyv+sqlite://`) URL, resolved against the working directory.
 *
 * @param url - A `DATABASE_URL`.
 * @returns The absolute file path, or `undefined` for a URL that names no file.
 * @example
 * ```ts
 * sqliteFileOf('sqlite://./data/auth.sqlite'); // "<cwd>/data/auth.sqlite"
 * sqliteFileOf('memory://'); // undefined
 * ```
 */
export function sqliteFileOf(url: string): string | undefined {
  const match = /^(?:keyv\+)?sqlite:\/\/(.*)$/i.exec(url);
  const file = match?.[1];
  if (file === undefined || file === '' || file === ':memory:') return undefined;
  return resolve(file);
}

/**
 * The folder that holds the database file (and the generated JWT secret).
 *
 * @param url - A `DATABASE_URL`.
 * @returns The absolute folder, or `undefined` when the store has no file.
 * @example
 * ```ts
 * dataDirOf('sqlite://./data/auth.sqlite'); // "<cwd>/data"
 * ```
 */
export function dataDirOf(url: string): string | undefined {
  const file = sqliteFileOf(url);
  return file === undefined ? undefined : dirname(file);
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Seconds between purges of expired rows of a SQLite file (default one hour). */
  sqlitePurgeIntervalSeconds?: number | undefined;
  /**
   * Checkpoint a `sqlite://` file from a worker thread (`SQLITE_BACKGROUND_CHECKPOINTS`);
   * token-auth's `backgroundCheckpoints`.
   * @defaultValue `true`
   */
  sqliteBackgroundCheckpoints?: boolean | undefined;
  /**
   * Apply pending SQL schema migrations when the store opens (`AUTO_MIGRATE`). When `false`, a
   * database whose schema is behind refuses to open and names the migrate command.
   * @defaultValue `true`
   */
  autoMigrate?: boolean | undefined;
}

/**
 * Opens the store a `DATABASE_URL` names.
 *
 * - `sqlite://<file>`: a SQLite file through token-auth's SQL store (better-sqlite3), created
 *   with its folder on first start, relative to the working directory (`sqlite:///abs/path`
 *   for an absolute path). Several server processes may share the file.
 * - `postgres://…` or `postgresql://…`: PostgreSQL through the SQL store (`pg`); several
 *   processes and machines share it.
 * - `keyv+sqlite://<file>`: the Keyv store over @keyv/sqlite (one process per file).
 * - `memory://`: an in-memory store (lost on exit; for trials and tests).
 * - `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS): a Redis server
 *   shared by several server processes (needs ioredis).
 *
 * Each adapter lives behind its own token-auth subpath and is loaded on demand, so only the
 * driver of the scheme in use must be installed.
 *
 * @param url - The URL.
 * @param options - Purge interval and checkpoints of a SQLite file, automatic migrations.
 * @returns The open store; close it on shutdown.
 * @throws Error naming `DATABASE_URL` for an unsupported scheme; token-auth's errors when the
 *   database cannot be opened, or its schema is behind with `autoMigrate: false`.
 * @example
 * ```ts
 * const store = await openStore('sqlite://./data/auth.sqlite');
 * ```
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<TokenAuthStore> {
  const scheme = url.includes('://') ? url.slice(0, url.indexOf('://')).toLowerCase() : '';
  const purgeIntervalMs =
    options.sqlitePurgeIntervalSeconds === undefined ? undefined : options.sqlitePurgeIntervalSeconds * 1000;
  switch (scheme) {
    case 'sqlite':
    case 'postgres':
    case 'postgresql': {
      if (scheme === 'sqlite') await refuseKeyvFile(sqliteFileOf(url));
      const { createSqlStore } = await import('token-auth/sql');
      return createSqlStore({
        url,
        migrate: options.autoMigrate ?? true,
        ...(scheme === 'sqlite'
          ? {
              backgroundCheckpoints: options.sqliteBackgroundCheckpoints ?? true,
              ...(purgeIntervalMs === undefined ? {} : { purgeIntervalMs }),
            }
          : {}),
      });
    }
    case 'keyv+sqlite': {
      const { createKeyvSqliteStore } = await import('token-auth/keyv');
      return createKeyvSqliteStore({
        path: url.slice('keyv+sqlite://'.length),
        ...(purgeIntervalMs === undefined ? {} : { sweepIntervalMs: purgeIntervalMs }),
      });
    }
    case 'memory':
      return new MemoryStore();
    case 'redis':
    case 'rediss': {
      const { createRedisStore } = await import('token-auth/redis');
      return createRedisStore(url);
    }
    default:
      throw new Error(
        // Only a plain scheme name is echoed: a URL without one may be credentials.
        `DATABASE_URL: ${/^[a-z][a-z0-9+.-]{0,20}$/.test(scheme) ? `unsupported scheme "${scheme}"` : 'no scheme'}; use sqlite://, postgres://, keyv+sqlite://, memory:// or redis://`,
      );
  }
}

/**
 * Refuses a SQLite file that holds a Keyv store (0.1.0's default) and no SQL store tables:
 * the SQL store would start empty beside it, and its users would seem gone.
 */
async function refuseKeyvFile(file: string | undefined): Promise<void> {
  if (file === undefined || !existsSync(file)) return;
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND (name = 'keyv' OR name LIKE 'token_auth_%')",
      )
      .pluck()
      .all() as string[];
    if (tables.includes('keyv') && !tables.some((name) => name.startsWith('token_auth_'))) {
      throw new Error(
        `DATABASE_URL: ${file} holds a Keyv store (token-auth 0.1.0); serve it with DATABASE_URL=keyv+sqlite://${file}, or point sqlite:// at a new file`,
      );
    }
  } finally {
    db.close();
  }
}
