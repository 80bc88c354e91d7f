/**
 * Reading and applying the schema migrations, as plans any driver runs. Applying takes a
 * lock first (PostgreSQL: a transaction-level advisory lock; SQLite: the `BEGIN IMMEDIATE`
 * write lock), then reads what is applied and applies the rest in the same transaction: two
 * processes migrating at once apply each migration once, the second finding nothing to do.
 *
 * @module
 */

import type { Operation, Plan } from './plan.js';
import { step } from './plan.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './schema.js';
import { type SqlDialect, statement } from './statements.js';

/** One migration of the schema, as reported by {@link SqlSchemaStatus}. */
export interface SqlMigrationInfo {
  /** Its version: 1, 2, … */
  version: number;
  /** What it does, in a few words. */
  name: string;
}

/** A migration that was applied, with when. */
export interface AppliedSqlMigration extends SqlMigrationInfo {
  /** Epoch ms at which it was applied. */
  appliedAt: number;
}

/** Where the schema of a database stands. */
export interface SqlSchemaStatus {
  /** The database's schema version: the last migration applied, `0` for none. */
  current: number;
  /** The version this release of token-auth needs. */
  required: number;
  /** The migrations applied, oldest first. */
  applied: AppliedSqlMigration[];
  /** The migrations this release would apply, oldest first; `[]` when up to date. */
  pending: SqlMigrationInfo[];
}

/** What a migration run did. */
export interface SqlMigrationResult {
  /** The migrations this run applied, oldest first; `[]` when there was nothing to do. */
  applied: SqlMigrationInfo[];
  /** The schema after the run. */
  status: SqlSchemaStatus;
}

// 'tokenaut' in ASCII: the advisory lock every token-auth migration run takes.
const LOCK_KEY = '8390042714202273140';

const LOCK = statement('lock migrations', {
  postgres: `SELECT pg_advisory_xact_lock(${LOCK_KEY})`,
  sqlite: 'SELECT 1', // BEGIN IMMEDIATE already holds the write lock
});

const TABLE_EXISTS = statement('migrations table exists', {
  postgres: `SELECT to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS present`,
  sqlite: `SELECT count(*) AS present FROM sqlite_master WHERE type = 'table' AND name = '${MIGRATIONS_TABLE}'`,
});

const CREATE_TABLE = statement(
  'create migrations table',
  `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
     version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
);

const APPLIED = statement(
  'applied migrations',
  `SELECT version, name, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY version`,
);

const RECORD = statement(
  'record migration',
  `INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (:version, :name, :appliedAt)`,
);

// Compiled once: the better-sqlite3 driver caches prepared statements per statement object.
const MIGRATION_STATEMENTS = MIGRATIONS.map((migration) => ({
  migration,
  statements: {
    postgres: migration.statements.postgres.map((text, i) =>
      statement(`migration ${migration.version}.${i}`, text),
    ),
    sqlite: migration.statements.sqlite.map((text, i) =>
      statement(`migration ${migration.version}.${i}`, text),
    ),
  },
}));

function* readApplied(): Operation<AppliedSqlMigration[]> {
  const { rows } = yield step(APPLIED);
  return rows.map((row) => ({
    version: Number(row.version),
    name: String(row.name),
    appliedAt: Number(row.applied_at),
  }));
}

/**
 * The status of a database with these migrations applied.
 *
 * @param applied - The applied migrations, oldest first.
 * @returns The status.
 */
export function statusOf(applied: AppliedSqlMigration[]): SqlSchemaStatus {
  const current = applied.reduce((max, migration) => Math.max(max, migration.version), 0);
  const done = new Set(applied.map((migration) => migration.version));
  return {
    current,
    required: SCHEMA_VERSION,
    applied,
    pending: MIGRATIONS.filter((migration) => !done.has(migration.version)).map(({ version, name }) => ({
      version,
      name,
    })),
  };
}

/**
 * Reads where the schema stands, without writing anything.
 *
 * @returns The plan.
 */
export function readSchemaStatus(): Plan<SqlSchemaStatus> {
  return {
    transaction: false,
    *start() {
      const { rows } = yield step(TABLE_EXISTS);
      if (!rows[0] || !Number(rows[0].present)) return statusOf([]);
      return statusOf(yield* readApplied());
    },
  };
}

/**
 * Applies every pending migration, under the migration lock, in one transaction.
 *
 * @param dialect - The database's dialect.
 * @param now - Epoch ms recorded as the time of application.
 * @returns The plan.
 */
export function applyMigrations(dialect: SqlDialect, now: number): Plan<SqlMigrationResult> {
  return {
    transaction: true,
    *start() {
      yield step(LOCK);
      yield step(CREATE_TABLE);
      const before = yield* readApplied();
      const done = new Set(before.map((migration) => migration.version));
      const applied: SqlMigrationInfo[] = [];
      for (const { migration, statements } of MIGRATION_STATEMENTS) {
        if (done.has(migration.version)) continue;
        for (const ddl of statements[dialect]) yield step(ddl);
        yield step(RECORD, { version: migration.version, name: migration.name, appliedAt: now });
        applied.push({ version: migration.version, name: migration.name });
      }
      return { applied, status: statusOf(yield* readApplied()) };
    },
  };
}
