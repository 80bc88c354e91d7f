/**
 * Every SQL statement the SQL store runs, in one place, with named parameters (`:name`)
 * compiled once per dialect: `$1, $2, …` for PostgreSQL, `?` for SQLite. The EXPLAIN tests
 * run these very texts.
 *
 * @module
 */

/** The SQL dialects the store speaks. */
export type SqlDialect = 'postgres' | 'sqlite';

/** A statement text for one dialect and the parameter names, in placeholder order. */
export interface CompiledText {
  /** The SQL with positional placeholders. */
  readonly text: string;
  /** The parameter name of each placeholder. */
  readonly names: readonly string[];
}

/** One statement, compiled for both dialects. */
export interface Statement {
  /** A short name for messages and tests. */
  readonly name: string;
  /** The PostgreSQL form. */
  readonly postgres: CompiledText;
  /** The SQLite form. */
  readonly sqlite: CompiledText;
}

// `:name`, but not the `::type` casts of PostgreSQL.
const PARAMETER = /(?<![:\w]):([A-Za-z_]\w*)/g;

function compile(text: string, dialect: SqlDialect): CompiledText {
  const names: string[] = [];
  const compiled = text.replace(PARAMETER, (_, name: string) => {
    if (dialect === 'sqlite') {
      names.push(name);
      return '?';
    }
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text: compiled.replace(/\s+/g, ' ').trim(), names };
}

/**
 * Compiles a statement for both dialects.
 *
 * @param name - A short name.
 * @param text - One text for both dialects, or one per dialect.
 * @returns The statement.
 */
export function statement(name: string, text: string | { postgres: string; sqlite: string }): Statement {
  const both = typeof text === 'string' ? { postgres: text, sqlite: text } : text;
  return { name, postgres: compile(both.postgres, 'postgres'), sqlite: compile(both.sqlite, 'sqlite') };
}

const USER_COLUMNS =
  'id, email, email_key, username, password_hash, is_staff, is_active, created_at, updated_at';
const SESSION_COLUMNS =
  'id, user_id, head_hash, previous_hash, rotated_at, created_at, last_used_at, expires_at, user_agent';
const prefixed = (alias: string, columns: string) =>
  columns
    .split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');

// Sessions are listed oldest first; among sessions of one millisecond, in the order they started.
const SESSION_ORDER = 'created_at, seq';

export const INSERT_USER = statement(
  'insert user',
  `INSERT INTO token_auth_users (email, email_key, username, password_hash, is_staff, is_active, created_at, updated_at)
   VALUES (:email, :emailKey, :username, :passwordHash, :isStaff, :isActive, :createdAt, :updatedAt)
   RETURNING id`,
);

export const USER_BY_ID = statement(
  'user by id',
  `SELECT ${USER_COLUMNS} FROM token_auth_users WHERE id = :id`,
);

export const USER_BY_EMAIL_KEY = statement(
  'user by email key',
  `SELECT ${USER_COLUMNS} FROM token_auth_users WHERE email_key = :emailKey`,
);

// Every column is NOT NULL, so a NULL parameter means "keep": one statement for every patch.
export const UPDATE_USER = statement(
  'update user',
  `UPDATE token_auth_users SET
     email = COALESCE(:email, email),
     email_key = COALESCE(:emailKey, email_key),
     username = COALESCE(:username, username),
     password_hash = COALESCE(:passwordHash, password_hash),
     is_staff = COALESCE(:isStaff, is_staff),
     is_active = COALESCE(:isActive, is_active),
     updated_at = COALESCE(:updatedAt, updated_at)
   WHERE id = :id
   RETURNING ${USER_COLUMNS}`,
);

export const INSERT_SESSION = statement(
  'insert session',
  `INSERT INTO token_auth_sessions (id, user_id, head_hash, created_at, last_used_at, expires_at, user_agent)
   VALUES (:id, :userId, :headHash, :createdAt, :createdAt, :expiresAt, :userAgent)`,
);

/**
 * PostgreSQL: the whole rotation in one statement. The self-join reads the consumed head's
 * expiry (RETURNING sees only new values); a concurrent rotation of the same head waits on the
 * row lock, then re-checks `head_hash` on the new row version and updates nothing.
 */
export const ROTATE_POSTGRES = statement(
  'rotate (postgres)',
  `WITH moved AS (
     UPDATE token_auth_sessions AS s
        SET previous_hash = s.head_hash, head_hash = :nextHash, expires_at = :nextExpiresAt,
            rotated_at = :now, last_used_at = :now
       FROM token_auth_sessions AS old
      WHERE old.id = s.id AND s.head_hash = :presented AND s.expires_at > :now
     RETURNING ${prefixed('s', SESSION_COLUMNS)}, old.expires_at AS consumed_expires_at
   ), kept AS (
     INSERT INTO token_auth_rotated_tokens (hash, session_id, expires_at)
     SELECT :presented, id, consumed_expires_at FROM moved
   )
   SELECT ${SESSION_COLUMNS} FROM moved`,
);

/** SQLite, step 1 of the rotation (inside BEGIN IMMEDIATE): keep the head if it is live. */
export const KEEP_ROTATED_HEAD = statement(
  'keep rotated head (sqlite)',
  `INSERT INTO token_auth_rotated_tokens (hash, session_id, expires_at)
   SELECT head_hash, id, expires_at FROM token_auth_sessions WHERE head_hash = :presented AND expires_at > :now`,
);

/** SQLite, step 2 of the rotation, run only when step 1 kept a row. */
export const MOVE_HEAD = statement(
  'move head (sqlite)',
  `UPDATE token_auth_sessions
      SET previous_hash = head_hash, head_hash = :nextHash, expires_at = :nextExpiresAt,
          rotated_at = :now, last_used_at = :now
    WHERE head_hash = :presented
   RETURNING ${SESSION_COLUMNS}`,
);

/** What a hash that did not rotate is: a session's head, or a rotated token of a session. */
export const FIND_HASH = statement(
  'find hash',
  `SELECT 'head' AS found_as, ${SESSION_COLUMNS} FROM token_auth_sessions WHERE head_hash = :presented
   UNION ALL
   SELECT 'rotated' AS found_as, ${prefixed('s', SESSION_COLUMNS)}
     FROM token_auth_rotated_tokens AS r JOIN token_auth_sessions AS s ON s.id = r.session_id
    WHERE r.hash = :presented`,
);

// A rotated token of an ended session stays until its expiry; FIND_HASH's join no longer finds it.
export const END_SESSION = statement(
  'end session',
  'DELETE FROM token_auth_sessions WHERE id = :id AND user_id = :userId',
);

export const END_USER_SESSIONS = statement(
  'end user sessions',
  'DELETE FROM token_auth_sessions WHERE user_id = :userId',
);

export const END_USER_SESSIONS_EXCEPT = statement(
  'end user sessions except one',
  'DELETE FROM token_auth_sessions WHERE user_id = :userId AND id <> :except',
);

export const LIST_SESSIONS = statement(
  'list sessions',
  `SELECT ${SESSION_COLUMNS} FROM token_auth_sessions
    WHERE user_id = :userId AND expires_at > :now ORDER BY ${SESSION_ORDER}`,
);

export const GET_SETTINGS = statement(
  'get settings',
  'SELECT access_token_ttl_seconds, refresh_token_ttl_seconds FROM token_auth_settings WHERE id = 1',
);

export const SAVE_SETTINGS = statement(
  'save settings',
  `INSERT INTO token_auth_settings (id, access_token_ttl_seconds, refresh_token_ttl_seconds)
   VALUES (1, :accessTokenTtlSeconds, :refreshTokenTtlSeconds)
   ON CONFLICT (id) DO UPDATE SET
     access_token_ttl_seconds = COALESCE(excluded.access_token_ttl_seconds, token_auth_settings.access_token_ttl_seconds),
     refresh_token_ttl_seconds = COALESCE(excluded.refresh_token_ttl_seconds, token_auth_settings.refresh_token_ttl_seconds)`,
);

export const INSERT_SETTINGS_CHANGE = statement(
  'insert settings change',
  `INSERT INTO token_auth_settings_history (key, old_value, new_value, changed_at, changed_by)
   VALUES (:key, :oldValue, :newValue, :changedAt, :changedBy)`,
);

export const LIST_SETTINGS_HISTORY = statement(
  'list settings history',
  `SELECT key, old_value, new_value, changed_at, changed_by FROM token_auth_settings_history
    ORDER BY id DESC LIMIT :limit`,
);

/** One atomic upsert: a window that ended (or none) restarts at 1, else the count goes up. */
export const HIT = statement(
  'hit',
  `INSERT INTO token_auth_throttle (key, count, reset_at) VALUES (:key, 1, :resetAt)
   ON CONFLICT (key) DO UPDATE SET
     count = CASE WHEN token_auth_throttle.reset_at <= :now THEN 1 ELSE token_auth_throttle.count + 1 END,
     reset_at = CASE WHEN token_auth_throttle.reset_at <= :now THEN excluded.reset_at
                     ELSE token_auth_throttle.reset_at END
   RETURNING count, reset_at`,
);

export const PEEK_HITS = statement(
  'peek hits',
  'SELECT count, reset_at FROM token_auth_throttle WHERE key = :key AND reset_at > :now',
);

export const RESET_HITS = statement('reset hits', 'DELETE FROM token_auth_throttle WHERE key = :key');

// Purges delete at most :limit rows each; PostgreSQL skips rows another transaction holds.
const purge = (name: string, table: string, key: string, column: string) =>
  statement(name, {
    postgres: `DELETE FROM ${table} WHERE ${key} IN (
                 SELECT ${key} FROM ${table} WHERE ${column} <= :before LIMIT :limit FOR UPDATE SKIP LOCKED)`,
    sqlite: `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} <= :before LIMIT :limit)`,
  });

export const PURGE_ROTATED_TOKENS = purge(
  'purge rotated tokens',
  'token_auth_rotated_tokens',
  'hash',
  'expires_at',
);
export const PURGE_SESSIONS = purge('purge sessions', 'token_auth_sessions', 'id', 'expires_at');
export const PURGE_COUNTERS = purge('purge counters', 'token_auth_throttle', 'key', 'reset_at');

// Per connection on SQLite: a session needs an existing user (and goes with it).
export const FOREIGN_KEYS_ON = statement('foreign keys on', 'PRAGMA foreign_keys = ON');
