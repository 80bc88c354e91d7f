/**
 * The versioned schema of the SQL store: each migration is a list of statements per dialect,
 * embedded in the package (nothing is read from files at run time). A migration is never
 * edited once released; a change of layout is a new version.
 *
 * @module
 */

import type { SqlDialect } from './statements.js';

/** One step of the schema. */
export interface SqlMigration {
  /** 1, 2, …: applied in this order, each exactly once. */
  readonly version: number;
  /** What the step does, in a few words. */
  readonly name: string;
  /** The DDL, per dialect, run in one transaction together with its bookkeeping row. */
  readonly statements: Readonly<Record<SqlDialect, readonly string[]>>;
}

/**
 * Version 1. Times are epoch milliseconds (bigint); hashes are lowercase hex SHA-256.
 * A rotated token's row names its session but has no foreign key to it: ending a session
 * leaves those rows to their own expiry (a lookup joins the session, so they answer
 * `unknown`), which spares every rotation an index write and a key check (~15 µs of ~85 µs
 * per rotation on SQLite).
 * SQLite tables are STRICT; the user ids use AUTOINCREMENT so that an id is never reused,
 * and PostgreSQL an identity column (sequences never go back).
 */
const INITIAL: SqlMigration = {
  version: 1,
  name: 'users, sessions, rotated tokens, settings, throttle',
  statements: {
    postgres: [
      `CREATE TABLE token_auth_users (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         email text NOT NULL,
         email_key text NOT NULL CONSTRAINT token_auth_users_email_key_unique UNIQUE,
         username text NOT NULL,
         password_hash text NOT NULL,
         is_staff boolean NOT NULL,
         is_active boolean NOT NULL,
         created_at bigint NOT NULL,
         updated_at bigint NOT NULL)`,
      `CREATE TABLE token_auth_sessions (
         id text PRIMARY KEY,
         seq bigint GENERATED ALWAYS AS IDENTITY,
         user_id bigint NOT NULL REFERENCES token_auth_users (id) ON DELETE CASCADE,
         head_hash text NOT NULL CONSTRAINT token_auth_sessions_head_hash_unique UNIQUE,
         previous_hash text,
         rotated_at bigint,
         created_at bigint NOT NULL,
         last_used_at bigint NOT NULL,
         expires_at bigint NOT NULL,
         user_agent text NOT NULL)`,
      'CREATE INDEX token_auth_sessions_user_id ON token_auth_sessions (user_id, created_at)',
      'CREATE INDEX token_auth_sessions_expires_at ON token_auth_sessions (expires_at)',
      `CREATE TABLE token_auth_rotated_tokens (
         hash text PRIMARY KEY,
         session_id text NOT NULL,
         expires_at bigint NOT NULL)`,
      'CREATE INDEX token_auth_rotated_tokens_expires_at ON token_auth_rotated_tokens (expires_at)',
      `CREATE TABLE token_auth_settings (
         id smallint PRIMARY KEY CHECK (id = 1),
         access_token_ttl_seconds bigint,
         refresh_token_ttl_seconds bigint)`,
      `CREATE TABLE token_auth_settings_history (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         key text NOT NULL,
         old_value bigint NOT NULL,
         new_value bigint NOT NULL,
         changed_at bigint NOT NULL,
         changed_by bigint)`,
      `CREATE TABLE token_auth_throttle (
         key text PRIMARY KEY,
         count integer NOT NULL,
         reset_at bigint NOT NULL)`,
      'CREATE INDEX token_auth_throttle_reset_at ON token_auth_throttle (reset_at)',
    ],
    sqlite: [
      `CREATE TABLE token_auth_users (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         email TEXT NOT NULL,
         email_key TEXT NOT NULL,
         username TEXT NOT NULL,
         password_hash TEXT NOT NULL,
         is_staff INTEGER NOT NULL CHECK (is_staff IN (0, 1)),
         is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL) STRICT`,
      // Named unique indexes rather than UNIQUE constraints (SQLite names those sqlite_autoindex_…).
      'CREATE UNIQUE INDEX token_auth_users_email_key_unique ON token_auth_users (email_key)',
      `CREATE TABLE token_auth_sessions (
         seq INTEGER PRIMARY KEY,
         id TEXT NOT NULL,
         user_id INTEGER NOT NULL REFERENCES token_auth_users (id) ON DELETE CASCADE,
         head_hash TEXT NOT NULL,
         previous_hash TEXT,
         rotated_at INTEGER,
         created_at INTEGER NOT NULL,
         last_used_at INTEGER NOT NULL,
         expires_at INTEGER NOT NULL,
         user_agent TEXT NOT NULL) STRICT`,
      'CREATE UNIQUE INDEX token_auth_sessions_id_unique ON token_auth_sessions (id)',
      'CREATE UNIQUE INDEX token_auth_sessions_head_hash_unique ON token_auth_sessions (head_hash)',
      'CREATE INDEX token_auth_sessions_user_id ON token_auth_sessions (user_id, created_at)',
      'CREATE INDEX token_auth_sessions_expires_at ON token_auth_sessions (expires_at)',
      `CREATE TABLE token_auth_rotated_tokens (
         hash TEXT PRIMARY KEY,
         session_id TEXT NOT NULL,
         expires_at INTEGER NOT NULL) STRICT, WITHOUT ROWID`,
      'CREATE INDEX token_auth_rotated_tokens_expires_at ON token_auth_rotated_tokens (expires_at)',
      `CREATE TABLE token_auth_settings (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         access_token_ttl_seconds INTEGER,
         refresh_token_ttl_seconds INTEGER) STRICT`,
      `CREATE TABLE token_auth_settings_history (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         key TEXT NOT NULL,
         old_value INTEGER NOT NULL,
         new_value INTEGER NOT NULL,
         changed_at INTEGER NOT NULL,
         changed_by INTEGER) STRICT`,
      `CREATE TABLE token_auth_throttle (
         key TEXT PRIMARY KEY,
         count INTEGER NOT NULL,
         reset_at INTEGER NOT NULL) STRICT, WITHOUT ROWID`,
      'CREATE INDEX token_auth_throttle_reset_at ON token_auth_throttle (reset_at)',
    ],
  },
};

/** Every migration, oldest first. */
export const MIGRATIONS: readonly SqlMigration[] = [INITIAL];

/** The schema version this release needs: the last migration's. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The bookkeeping table: one row per applied migration. */
export const MIGRATIONS_TABLE = 'token_auth_migrations';
