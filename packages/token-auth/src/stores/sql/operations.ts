/**
 * The port's operations in SQL, each a {@link Plan}: one statement, or one short
 * transaction. Rows are mapped here (PostgreSQL returns bigint as strings, SQLite booleans
 * as 0 and 1); every record handed out is a fresh object.
 *
 * @module
 */

import { EmailTakenError } from '../../errors.js';
import { notHead } from '../../lib/session-rules.js';
import type {
  HitResult,
  NewSessionRecord,
  NewUserRecord,
  NextHead,
  RotateResult,
  SessionRecord,
  SettingsChange,
  StoredSettings,
  UserPatch,
  UserRecord,
} from '../port.js';
import type { Operation, Plan, Row } from './plan.js';
import { step } from './plan.js';
import {
  END_SESSION,
  END_USER_SESSIONS,
  END_USER_SESSIONS_EXCEPT,
  FIND_HASH,
  FOREIGN_KEYS_ON,
  GET_SETTINGS,
  HIT,
  INSERT_SESSION,
  INSERT_SETTINGS_CHANGE,
  INSERT_USER,
  KEEP_ROTATED_HEAD,
  LIST_SESSIONS,
  LIST_SETTINGS_HISTORY,
  MOVE_HEAD,
  PEEK_HITS,
  PURGE_COUNTERS,
  PURGE_ROTATED_TOKENS,
  PURGE_SESSIONS,
  RESET_HITS,
  ROTATE_POSTGRES,
  SAVE_SETTINGS,
  type SqlDialect,
  type Statement,
  UPDATE_USER,
  USER_BY_EMAIL_KEY,
  USER_BY_ID,
} from './statements.js';

const single = <T>(start: () => Operation<T>): Plan<T> => ({ transaction: false, start });
const atomic = <T>(start: () => Operation<T>): Plan<T> => ({ transaction: true, start });

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null ? null : Number(value));

function toUser(row: Row): UserRecord {
  return {
    id: num(row.id),
    email: row.email as string,
    emailKey: row.email_key as string,
    username: row.username as string,
    passwordHash: row.password_hash as string,
    isStaff: Boolean(row.is_staff),
    isActive: Boolean(row.is_active),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toSession(row: Row): SessionRecord {
  return {
    id: row.id as string,
    userId: num(row.user_id),
    headHash: row.head_hash as string,
    previousHash: (row.previous_hash as string | null) ?? null,
    rotatedAt: numOrNull(row.rotated_at),
    createdAt: num(row.created_at),
    lastUsedAt: num(row.last_used_at),
    expiresAt: num(row.expires_at),
    userAgent: row.user_agent as string,
  };
}

/**
 * Whether `error` is a violation of a unique constraint: SQLSTATE 23505 on PostgreSQL,
 * `SQLITE_CONSTRAINT_UNIQUE` on SQLite.
 *
 * @param error - What a driver threw.
 * @returns `true` for a unique violation.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

// The users table has one unique key besides the generated id: the email key.
function* claimingEmail<T>(operation: Operation<T>): Operation<T> {
  try {
    return yield* operation;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new EmailTakenError('This email is already registered', { cause: error });
    throw error;
  }
}

/** The plan of `createUser` (see the port). */
export function createUser(user: NewUserRecord): Plan<UserRecord> {
  return single(() =>
    claimingEmail(
      (function* () {
        const { rows } = yield step(INSERT_USER, {
          email: user.email,
          emailKey: user.emailKey,
          username: user.username,
          passwordHash: user.passwordHash,
          isStaff: user.isStaff,
          isActive: user.isActive,
          createdAt: user.createdAt,
          updatedAt: user.updatedAt,
        });
        return {
          id: num(rows[0]?.id),
          email: user.email,
          emailKey: user.emailKey,
          username: user.username,
          passwordHash: user.passwordHash,
          isStaff: user.isStaff,
          isActive: user.isActive,
          createdAt: user.createdAt,
          updatedAt: user.updatedAt,
        };
      })(),
    ),
  );
}

function* oneUser(statement: Statement, params: Record<string, unknown>): Operation<UserRecord | undefined> {
  const { rows } = yield step(statement, params);
  return rows[0] === undefined ? undefined : toUser(rows[0]);
}

/** Ids the store never assigns (not a positive safe integer) are looked up nowhere. */
const isUserId = (id: number) => Number.isSafeInteger(id) && id > 0;

/** The plan of `getUserById` (see the port). */
export function getUserById(id: number): Plan<UserRecord | undefined> {
  return single(function* () {
    if (!isUserId(id)) return undefined;
    return yield* oneUser(USER_BY_ID, { id });
  });
}

/** The plan of `getUserByEmailKey` (see the port). */
export function getUserByEmailKey(emailKey: string): Plan<UserRecord | undefined> {
  return single(() => oneUser(USER_BY_EMAIL_KEY, { emailKey }));
}

/** The plan of `updateUser` (see the port). */
export function updateUser(id: number, patch: UserPatch): Plan<UserRecord | undefined> {
  return single(function* () {
    if (!isUserId(id)) return undefined;
    return yield* claimingEmail(
      oneUser(UPDATE_USER, {
        id,
        email: patch.email ?? null,
        emailKey: patch.emailKey ?? null,
        username: patch.username ?? null,
        passwordHash: patch.passwordHash ?? null,
        isStaff: patch.isStaff ?? null,
        isActive: patch.isActive ?? null,
        updatedAt: patch.updatedAt ?? null,
      }),
    );
  });
}

/** The plan of `startSession` (see the port). */
export function startSession(session: NewSessionRecord): Plan<void> {
  return single(function* () {
    yield step(INSERT_SESSION, {
      id: session.id,
      userId: session.userId,
      headHash: session.headHash,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      userAgent: session.userAgent,
    });
  });
}

/**
 * The plan of `rotate` (see the port). PostgreSQL: one statement. SQLite: two, in one `BEGIN IMMEDIATE` transaction. When nothing
 * rotated, one more read tells the other answers apart.
 */
export function rotate(
  dialect: SqlDialect,
  presented: string,
  next: NextHead,
  now: number,
): Plan<RotateResult> {
  const params = { presented, nextHash: next.hash, nextExpiresAt: next.expiresAt, now };
  if (dialect === 'postgres') {
    return single(function* () {
      const { rows } = yield step(ROTATE_POSTGRES, params);
      if (rows[0] !== undefined) return { status: 'rotated', session: toSession(rows[0]) };
      return yield* classify(presented, now);
    });
  }
  return atomic(function* () {
    const kept = yield step(KEEP_ROTATED_HEAD, { presented, now });
    if (kept.changes === 1) {
      const { rows } = yield step(MOVE_HEAD, params);
      return { status: 'rotated', session: toSession(rows[0] as Row) };
    }
    return yield* classify(presented, now);
  });
}

/** What a hash that did not rotate is; see {@link RotateResult}. */
function* classify(presented: string, now: number): Operation<RotateResult> {
  const { rows } = yield step(FIND_HASH, { presented });
  const row = rows[0];
  if (row === undefined) return { status: 'unknown' };
  const session = toSession(row);
  // A live head that did not rotate was started after the attempt: unknown when it was made.
  if (row.found_as === 'head' && now < session.expiresAt) return { status: 'unknown' };
  return notHead(session, presented, now);
}

/** The plan of `endSession` (see the port). */
export function endSession(userId: number, sessionId: string): Plan<boolean> {
  return single(function* () {
    if (!isUserId(userId)) return false;
    const { changes } = yield step(END_SESSION, { id: sessionId, userId });
    return changes > 0;
  });
}

/** The plan of `endUserSessions` (see the port). */
export function endUserSessions(userId: number, except: string | undefined): Plan<number> {
  return single(function* () {
    if (!isUserId(userId)) return 0;
    const { changes } =
      except === undefined
        ? yield step(END_USER_SESSIONS, { userId })
        : yield step(END_USER_SESSIONS_EXCEPT, { userId, except });
    return changes;
  });
}

/** The plan of `listSessions` (see the port). */
export function listSessions(userId: number, now: number): Plan<SessionRecord[]> {
  return single(function* () {
    if (!isUserId(userId)) return [];
    const { rows } = yield step(LIST_SESSIONS, { userId, now });
    return rows.map(toSession);
  });
}

/** The plan of `getSettings` (see the port). */
export function getSettings(): Plan<Partial<StoredSettings> | undefined> {
  return single(function* () {
    const { rows } = yield step(GET_SETTINGS);
    const row = rows[0];
    if (row === undefined) return undefined;
    const settings: Partial<StoredSettings> = {};
    if (row.access_token_ttl_seconds !== null)
      settings.accessTokenTtlSeconds = num(row.access_token_ttl_seconds);
    if (row.refresh_token_ttl_seconds !== null)
      settings.refreshTokenTtlSeconds = num(row.refresh_token_ttl_seconds);
    return settings;
  });
}

/** The plan of `updateSettings` (see the port). */
export function updateSettings(
  values: Partial<StoredSettings>,
  changes: readonly SettingsChange[],
): Plan<void> {
  // Read now: the caller may change its objects while the plan waits for a connection.
  const saved = {
    accessTokenTtlSeconds: values.accessTokenTtlSeconds ?? null,
    refreshTokenTtlSeconds: values.refreshTokenTtlSeconds ?? null,
  };
  const entries = changes.map((change) => ({
    key: change.key,
    oldValue: change.oldValue,
    newValue: change.newValue,
    changedAt: change.changedAt,
    changedBy: change.changedBy,
  }));
  return atomic(function* () {
    yield step(SAVE_SETTINGS, saved);
    for (const entry of entries) yield step(INSERT_SETTINGS_CHANGE, entry);
  });
}

/** The plan of `listSettingsHistory` (see the port). */
export function listSettingsHistory(limit: number): Plan<SettingsChange[]> {
  return single(function* () {
    const count = Math.floor(limit);
    if (!(count > 0)) return [];
    const { rows } = yield step(LIST_SETTINGS_HISTORY, { limit: Math.min(count, Number.MAX_SAFE_INTEGER) });
    return rows.map((row) => ({
      key: row.key as SettingsChange['key'],
      oldValue: num(row.old_value),
      newValue: num(row.new_value),
      changedAt: num(row.changed_at),
      changedBy: numOrNull(row.changed_by),
    }));
  });
}

const toHit = (row: Row): HitResult => ({ count: num(row.count), resetAt: num(row.reset_at) });

/** The plan of `hit` (see the port). */
export function hit(key: string, windowMs: number, now: number): Plan<HitResult> {
  return single(function* () {
    const { rows } = yield step(HIT, { key, now, resetAt: now + windowMs });
    return toHit(rows[0] as Row);
  });
}

/** The plan of `peekHits` (see the port). */
export function peekHits(key: string, now: number): Plan<HitResult> {
  return single(function* () {
    const { rows } = yield step(PEEK_HITS, { key, now });
    return rows[0] === undefined ? { count: 0, resetAt: now } : toHit(rows[0]);
  });
}

/** The plan of `resetHits` (see the port). */
export function resetHits(key: string): Plan<void> {
  return single(function* () {
    yield step(RESET_HITS, { key });
  });
}

/** The tables {@link purgeBatch} deletes from, in the order a purge visits them. */
export const PURGED = {
  // Rotated tokens first: they outnumber sessions, and expire no later than theirs did.
  rotatedTokens: PURGE_ROTATED_TOKENS,
  sessions: PURGE_SESSIONS,
  counters: PURGE_COUNTERS,
} as const;

/**
 * Deletes at most `limit` rows of one table that expired at or before `before`.
 *
 * @param table - Which table.
 * @param before - Epoch ms; rows whose expiry is at or before it go.
 * @param limit - The most rows deleted by this statement.
 * @returns A plan answering how many rows went.
 */
export function purgeBatch(table: keyof typeof PURGED, before: number, limit: number): Plan<number> {
  return single(function* () {
    const { changes } = yield step(PURGED[table], { before, limit });
    return changes;
  });
}

/**
 * Turns SQLite's foreign keys on for the connection (they are off by default).
 *
 * @returns The plan.
 */
export function foreignKeysOn(): Plan<void> {
  return single(function* () {
    yield step(FOREIGN_KEYS_ON);
  });
}
