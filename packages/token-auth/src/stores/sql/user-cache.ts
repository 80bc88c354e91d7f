/**
 * Users read by id on a SQLite file, kept in memory for as long as no other connection has
 * committed anything: SQLite's `PRAGMA data_version` changes exactly then. A read is served
 * from memory only while the version is the one the entry was read under, so the cache is
 * exact across processes; with one process writing (the common case) every profile read
 * after the first is a lookup. Writes of this connection update the cache themselves.
 *
 * @module
 * @internal
 */

import type BetterSqlite3 from 'better-sqlite3';
import { LruCache } from '../../lib/lru-cache.js';
import type { UserRecord } from '../port.js';

/** The user cache of one SQLite connection the store owns. */
export class UserCache {
  readonly #dataVersion: BetterSqlite3.Statement<[], number>;
  readonly #size: number;
  #users: LruCache<number, UserRecord>;
  #version: number | undefined;

  /**
   * @param db - The store's own connection (a lent one may be written behind our back).
   * @param size - The most users kept.
   */
  constructor(db: BetterSqlite3.Database, size: number) {
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#size = size;
    this.#users = new LruCache(size);
  }

  /**
   * The cached user, when nothing was committed by another connection since it was read.
   * @param id - The user id.
   * @returns A copy of the user, or `undefined` to read it from the database.
   */
  get(id: number): UserRecord | undefined {
    const version = this.#dataVersion.get();
    if (version !== this.#version) {
      this.#version = version;
      this.#users = new LruCache(this.#size);
      return undefined;
    }
    const user = this.#users.get(id);
    return user === undefined ? undefined : { ...user };
  }

  /**
   * Keeps a user just read or written by this connection. A version that moved between the
   * check and the read only empties the cache at the next look.
   * @param user - The user as stored.
   */
  set(user: UserRecord): void {
    this.#users.set(user.id, { ...user });
  }
}
