/**
 * Opening the store named by `DATABASE_URL`: one switch on the URL scheme, so that
 * another backend (for example `redis://` with token-auth's Redis adapter) is one case more.
 *
 * @module
 */

import { dirname, resolve } from 'node:path';
import type { TokenAuthStore } from 'token-auth';
import { createSqliteStore, MemoryStore } from 'token-auth';

/**
 * The file of a `sqlite://` URL, resolved against the working directory.
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
  if (!url.startsWith('sqlite://')) return undefined;
  const file = url.slice('sqlite://'.length);
  if (file === '' || file === ':memory:') return undefined;
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

/**
 * Opens the store a `DATABASE_URL` names.
 *
 * - `sqlite://<file>`: a SQLite file (created with its folder on first start), relative
 *   to the working directory; `sqlite:///abs/path` for an absolute path.
 * - `memory://`: an in-memory store (lost on exit; for trials and tests).
 * - `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS): a Redis
 *   server shared by several server processes (token-auth/redis; needs ioredis).
 *
 * @param url - The URL.
 * @param options - `sqlitePurgeIntervalSeconds`: seconds between purges of expired rows of a
 *   SQLite store (default one hour).
 * @returns The open store; close it on shutdown.
 * @throws Error naming `DATABASE_URL` for an unsupported scheme; token-auth's
 *   `StoreError` when the file cannot be opened.
 * @example
 * ```ts
 * const store = await openStore('sqlite://./data/auth.sqlite');
 * ```
 */
export async function openStore(
  url: string,
  options: { sqlitePurgeIntervalSeconds?: number } = {},
): Promise<TokenAuthStore> {
  const scheme = url.includes('://') ? url.slice(0, url.indexOf('://')).toLowerCase() : '';
  switch (scheme) {
    case 'sqlite':
      return createSqliteStore({
        uri: url,
        ...(options.sqlitePurgeIntervalSeconds === undefined
          ? {}
          : { sweepIntervalMs: options.sqlitePurgeIntervalSeconds * 1000 }),
      });
    case 'memory':
      return new MemoryStore();
    // --- redis (scale-out): several processes share one Redis through token-auth/redis ---
    case 'redis':
    case 'rediss': {
      // Loaded on demand, so that ioredis (an optional peer dependency) is needed only here.
      const { createRedisStore } = await import('token-auth/redis');
      return createRedisStore(url);
    }
    // --- end redis ---
    default:
      throw new Error(
        `DATABASE_URL: unsupported scheme "${scheme || url.slice(0, 20)}"; use sqlite://, memory:// or redis://`,
      );
  }
}
