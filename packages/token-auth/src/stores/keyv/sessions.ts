/**
 * Sessions in Keyv. Three kinds of record, each with a Keyv TTL that ends when it stops
 * mattering, plus the store's grace period:
 *
 * - `session:<id>`: the session, until it expires;
 * - `token:<hash>`: the session a refresh token belongs to, written when the token becomes
 *   the head and kept until the token's own expiry, so that a rotated token is still told
 *   apart (`parent`, `reused`) for as long as it would have lived;
 * - `user-sessions:<userId>`: the ids of the user's sessions, kept at least as long as each
 *   of them. Ids of sessions that are gone are dropped when the list is next read.
 *
 * Locks: `session:<id>` around each change of a session, `user-sessions:<userId>` around
 * each change of the list; a session's lock is taken first, never inside the list's.
 *
 * @module
 * @internal
 */

import { notHead } from '../../lib/session-rules.js';
import type { NewSessionRecord, NextHead, RotateResult, SessionRecord } from '../port.js';
import { isObject, type KeyvRecords, type RawRecord } from './records.js';

/** A session as stored: the port's record and how long its user's list is kept. */
interface StoredSession extends SessionRecord {
  /** Epoch ms until which the user's list is kept at least; a rotation past it extends it. */
  listedUntil: number;
}

/** What `token:<hash>` holds. */
interface TokenEntry {
  sessionId: string;
  /** The token's own expiry. */
  expiresAt: number;
}

/** What `user-sessions:<userId>` holds. */
interface SessionList {
  /** Session ids, oldest first; ids of sessions that are gone until the next read. */
  ids: string[];
  /** Epoch ms until which the list is kept: never before the expiry of its sessions. */
  expiresAt: number;
}

const isSession = (value: unknown) =>
  isObject(value) &&
  typeof value.userId === 'number' &&
  typeof value.headHash === 'string' &&
  typeof value.expiresAt === 'number' &&
  typeof value.listedUntil === 'number';
const isToken = (value: unknown) => isObject(value) && typeof value.sessionId === 'string';
const isList = (value: unknown) =>
  isObject(value) && Array.isArray(value.ids) && typeof value.expiresAt === 'number';

/** The session operations of the Keyv store. */
export class KeyvSessions {
  readonly #records: KeyvRecords;

  /** @param records - The store's records. */
  constructor(records: KeyvRecords) {
    this.#records = records;
  }

  /** {@inheritDoc TokenAuthStore.startSession} */
  start(session: NewSessionRecord): Promise<void> {
    const { id, userId, headHash, createdAt, expiresAt, userAgent } = session;
    const r = this.#records;
    return r.lock(r.key('user-sessions', userId), async () => {
      const list = await this.#readList(userId);
      // The list first and the head's entry last: a failure midway leaves at most a listed
      // session that no token reaches, never a usable session missing from the list.
      const listedUntil = await this.#writeList(userId, [...(list?.value.ids ?? []), id], list, {
        until: listBound(expiresAt, createdAt),
        now: createdAt,
      });
      const stored: StoredSession = {
        id,
        userId,
        headHash,
        previousHash: null,
        rotatedAt: null,
        createdAt,
        lastUsedAt: createdAt,
        expiresAt,
        userAgent,
        listedUntil,
      };
      const ttl = r.ttl(expiresAt, createdAt);
      await r.set(r.key('session', id), stored, ttl);
      await r.set(r.key('token', headHash), { sessionId: id, expiresAt } satisfies TokenEntry, ttl);
    });
  }

  /** {@inheritDoc TokenAuthStore.rotate} */
  async rotate(presentedHash: string, next: NextHead, now: number): Promise<RotateResult> {
    const r = this.#records;
    const token = await r.get<TokenEntry>(r.key('token', presentedHash), isToken, 'token entry');
    if (!token) return { status: 'unknown' };
    const key = r.key('session', token.sessionId);
    return r.lock(key, async (): Promise<RotateResult> => {
      const stored = await this.#getSession(token.sessionId);
      if (!stored) return { status: 'unknown' };
      const { listedUntil, ...session } = stored;
      if (now >= session.expiresAt || presentedHash !== session.headHash) {
        return notHead(session, presentedHash, now);
      }
      const rotated: SessionRecord = {
        ...session,
        headHash: next.hash,
        previousHash: presentedHash,
        expiresAt: next.expiresAt,
        rotatedAt: now,
        lastUsedAt: now,
      };
      // About once per lifetime, not at every rotation: keep the user's list longer.
      const bound =
        next.expiresAt > listedUntil
          ? await this.#extendList(stored, listBound(next.expiresAt, now), now)
          : listedUntil;
      // The new head's entry first: nothing reaches it until the session points at it. The
      // consumed head keeps its entry, which expires with it.
      const ttl = r.ttl(next.expiresAt, now);
      const entry: TokenEntry = { sessionId: session.id, expiresAt: next.expiresAt };
      await r.set(r.key('token', next.hash), entry, ttl);
      await r.set(key, { ...rotated, listedUntil: bound } satisfies StoredSession, ttl);
      return { status: 'rotated', session: rotated };
    });
  }

  /** {@inheritDoc TokenAuthStore.endSession} */
  async end(userId: number, sessionId: string): Promise<boolean> {
    const ended = await this.#end(userId, sessionId);
    if (ended) await this.#unlist(userId, [sessionId]);
    return ended;
  }

  /** {@inheritDoc TokenAuthStore.endUserSessions} */
  async endAll(userId: number, except?: string): Promise<number> {
    const r = this.#records;
    // Read under the list's lock: a session being started is either whole in it or absent.
    const list = await r.lock(r.key('user-sessions', userId), () => this.#getList(userId));
    const ids = (list?.value.ids ?? []).filter((id) => id !== except);
    let ended = 0;
    for (const id of ids) if (await this.#end(userId, id)) ended++;
    await this.#unlist(userId, ids);
    return ended;
  }

  /** {@inheritDoc TokenAuthStore.listSessions} */
  async list(userId: number, now: number): Promise<SessionRecord[]> {
    const r = this.#records;
    const list = await r.lock(r.key('user-sessions', userId), () => this.#readList(userId));
    return (list?.sessions ?? [])
      .filter((session) => session.userId === userId && now < session.expiresAt)
      .map(({ listedUntil, ...session }) => session)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Deletes the session if `userId` owns it; answers whether it did. */
  #end(userId: number, id: string): Promise<boolean> {
    const key = this.#records.key('session', id);
    return this.#records.lock(key, async () => {
      if ((await this.#getSession(id))?.userId !== userId) return false;
      // Its token entries now lead nowhere (`unknown`); they expire with their tokens.
      await this.#records.delete(key);
      return true;
    });
  }

  /**
   * The user's list and the sessions it names, with the ids of gone sessions dropped (and
   * written back so). The caller holds the list's lock.
   */
  async #readList(
    userId: number,
  ): Promise<(RawRecord<SessionList> & { sessions: StoredSession[] }) | undefined> {
    const list = await this.#getList(userId);
    if (!list) return undefined;
    const found = await Promise.all(list.value.ids.map((id) => this.#getSession(id)));
    const sessions = found.filter((session) => session !== undefined);
    if (sessions.length < list.value.ids.length) {
      await this.#writeList(
        userId,
        sessions.map((session) => session.id),
        list,
      );
    }
    return { ...list, sessions };
  }

  /** Keeps the list of `session`'s user (and the session in it) until `until` at least. */
  #extendList(session: StoredSession, until: number, now: number): Promise<number> {
    const r = this.#records;
    return r.lock(r.key('user-sessions', session.userId), async () => {
      const list = await this.#getList(session.userId);
      const ids = list?.value.ids ?? [];
      return this.#writeList(session.userId, ids.includes(session.id) ? ids : [...ids, session.id], list, {
        until,
        now,
      });
    });
  }

  /** Removes `ids` from the user's list. */
  #unlist(userId: number, ids: readonly string[]): Promise<void> {
    const r = this.#records;
    return r.lock(r.key('user-sessions', userId), async () => {
      const list = await this.#getList(userId);
      const kept = list?.value.ids.filter((id) => !ids.includes(id));
      if (list && kept && kept.length < list.value.ids.length) await this.#writeList(userId, kept, list);
    });
  }

  /**
   * Writes the user's list of `ids` (or deletes it when empty), kept as long as before
   * and, with `keep`, at least until `keep.until` as seen at `keep.now`. The caller holds
   * the list's lock.
   * @returns The epoch ms until which the list is kept.
   */
  async #writeList(
    userId: number,
    ids: string[],
    before: RawRecord<SessionList> | undefined,
    keep?: { until: number; now: number },
  ): Promise<number> {
    const r = this.#records;
    const key = r.key('user-sessions', userId);
    const expiresAt = Math.max(before?.value.expiresAt ?? 0, keep?.until ?? 0);
    if (ids.length === 0) {
      await r.delete(key);
      return expiresAt;
    }
    // Never shorter than the TTL it had: a list must outlive every session it names.
    const remaining = before?.expires === undefined ? 1 : before.expires - Date.now();
    const ttl = Math.max(1, remaining, keep ? r.ttl(expiresAt, keep.now) : 1);
    await r.set(key, { ids, expiresAt } satisfies SessionList, ttl);
    return expiresAt;
  }

  #getList(userId: number): Promise<RawRecord<SessionList> | undefined> {
    const key = this.#records.key('user-sessions', userId);
    return this.#records.getRaw<SessionList>(key, isList, 'list of sessions');
  }

  #getSession(id: string): Promise<StoredSession | undefined> {
    return this.#records.get<StoredSession>(this.#records.key('session', id), isSession, 'session record');
  }
}

/**
 * How long to keep a user's list for a session that expires at `expiresAt`, seen at
 * `now`: twice its remaining life, so that a session refreshed all along extends the list
 * about once per lifetime rather than at every rotation.
 */
function listBound(expiresAt: number, now: number): number {
  return expiresAt + Math.max(0, expiresAt - now);
}
