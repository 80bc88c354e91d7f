/**
 * Users read by id on a SQLite file, kept in memory for as long as no other connection has
 * committed anything: SQLite's `PRAGMA data_version` changes exactly then. A read is served
 * from memory only while the version is the one the entry was read under (as of the current
 * turn's check, below), so the cache follows other processes' writes; with one process
 * writing (the common case) every profile read after the first is a lookup. Writes of this
 * connection update the cache themselves.
 *
 * `PRAGMA data_version` is a statement: it opens a read transaction, which takes and releases
 * a lock on the `-shm` file (about 4 µs in a bare loop, 6 to 10 µs inside a busy server). So
 * the cache first reads the WAL-index header at the start of the `-shm` file (48 bytes, one
 * `pread`, about 2 µs): SQLite changes it with every commit of any connection (its `iChange`
 * counter, `mxFrame` and checksums; the file format is documented as stable). While it is
 * byte for byte the header seen just before the last `data_version` check, nothing was
 * committed since, and that check still holds. Any other header, or no `-shm` file to read,
 * falls back to the check.
 *
 * Even that `pread` is a system call, and inside a busy server it cost more than the rest of
 * the lookup (about 8 µs of CPU per GET /api/me/, measured by removing it). So the check is
 * made once per turn of the event loop: the first lookup checks and schedules, with
 * `setImmediate`, the end of that check's use; the lookups until then rely on it (a busy
 * server answers 8 to 9 GET /api/me/ per turn at 10 connections). What a lookup can miss is a
 * commit of another connection made after that check. The requests a server answers in one
 * turn had reached it when the turn's poll for sockets returned, before the check, so each
 * sees every commit made before it arrived. Two cases see less: a request sent on a
 * connection without waiting for the answer to an earlier one (HTTP pipelining) and read in
 * the same turn, and a check made inside a `setImmediate` callback (the SQLite group commit's
 * callers, say), whose end is then scheduled for the next turn and which serves that turn's
 * lookups too (a refresh reads its user there, right after the group commit's rotation). The
 * staleness is bounded by turns of the event loop, not by time: one long synchronous turn is
 * one turn. Writes this store makes update the cache at once.
 *
 * @module
 * @internal
 */

import { closeSync, openSync, readSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { LruCache } from '../../lib/lru-cache.js';
import { atEndOfTurn } from '../../lib/turn.js';
import type { UserRecord } from '../port.js';

/** The first copy of the WAL-index header (walformat: 48 bytes at offset 0 of the `-shm` file). */
const WAL_INDEX_HEADER_BYTES = 48;

/** The user cache of one SQLite connection the store owns. */
export class UserCache {
  readonly #dataVersion: BetterSqlite3.Statement<[], number>;
  readonly #size: number;
  #users: LruCache<number, UserRecord>;
  #version: number | undefined;
  #shm: number | undefined;
  /** The header as read just before the last `data_version` check, when there was one. */
  #checkedHeader: Buffer | undefined;
  /** Where the header is read into; swapped with `#checkedHeader` before a check. */
  #header: Buffer = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  /** Whether a lookup of the current event-loop turn has made the check. */
  #checkedThisTurn = false;
  readonly #endTurn = (): void => {
    this.#checkedThisTurn = false;
  };

  /**
   * @param db - The store's own connection (a lent one may be written behind our back), in WAL mode.
   * @param size - The most users kept.
   */
  constructor(db: BetterSqlite3.Database, size: number) {
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#size = size;
    this.#users = new LruCache(size);
    this.#shm = openShm(db);
  }

  /**
   * The cached user, when nothing was committed by another connection since it was read
   * (checked at the first lookup of each event-loop turn).
   * @param id - The user id.
   * @returns A copy of the user, or `undefined` to read it from the database.
   */
  get(id: number): UserRecord | undefined {
    if (!this.#checkedThisTurn) {
      // A check that throws leaves the turn unchecked: the next lookup checks again.
      this.#check();
      this.#checkedThisTurn = true;
      // Not unref'd: an immediate that never ran would leave the check made for good.
      atEndOfTurn(this.#endTurn);
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

  /** Closes the `-shm` file descriptor; the cache then always checks `data_version`. */
  close(): void {
    if (this.#shm !== undefined) closeSync(this.#shm);
    this.#shm = undefined;
    this.#checkedHeader = undefined;
  }

  // Empties the cache when another connection committed since the last check.
  #check(): void {
    if (this.#unchangedSinceCheck()) return;
    let version: number | undefined;
    try {
      version = this.#dataVersion.get();
    } catch (error) {
      // The header just kept was never checked against: the next lookup must not trust it.
      this.#checkedHeader = undefined;
      throw error;
    }
    if (version !== this.#version) {
      this.#version = version;
      this.#users = new LruCache(this.#size);
    }
  }

  // Reads the header now. The same as before the last check: no commit since, the check
  // holds. Otherwise this header becomes the one the coming check is made after.
  #unchangedSinceCheck(): boolean {
    if (this.#shm === undefined) return false;
    let read: number;
    try {
      read = readSync(this.#shm, this.#header, 0, WAL_INDEX_HEADER_BYTES, 0);
    } catch {
      read = 0;
    }
    if (read !== WAL_INDEX_HEADER_BYTES) {
      this.#checkedHeader = undefined;
      return false;
    }
    const checked = this.#checkedHeader;
    if (checked?.equals(this.#header)) return true;
    this.#checkedHeader = this.#header;
    this.#header = checked ?? Buffer.alloc(WAL_INDEX_HEADER_BYTES);
    return false;
  }
}

/** The connection's `-shm` file, read-only, when it is a file in WAL mode. */
function openShm(db: BetterSqlite3.Database): number | undefined {
  try {
    if (db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal') return undefined;
    // A read transaction in WAL mode creates the -shm file if no connection has yet (a new file).
    db.pragma('data_version');
    return openSync(`${db.name}-shm`, 'r');
  } catch {
    return undefined;
  }
}
