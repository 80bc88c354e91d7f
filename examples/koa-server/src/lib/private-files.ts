/**
 * The data folder and the SQLite file, created private before the store opens them.
 *
 * @module
 */

import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates the folder of a SQLite database (mode 0700) and the database file itself (mode
 * 0600) when they are missing, so that the file holding password hashes and session
 * records is never readable by other users. SQLite gives the `-wal` and `-shm` files it
 * creates later the mode of the database file. Existing folders and files are left as they
 * are. (The stores create the file too; doing it here first makes the mode this server's
 * decision, whatever the store.)
 *
 * @param file - The absolute path of the database file.
 * @returns Once the folder and the file exist.
 * @throws The `fs` error (`EACCES`, `ENOTDIR`...) when either cannot be created.
 * @example
 * ```ts
 * ensurePrivateDatabaseFile('/var/lib/koa-server/auth.sqlite');
 * ```
 */
export function ensurePrivateDatabaseFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: create only; an empty file is a valid, empty SQLite database.
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
