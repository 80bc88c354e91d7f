/**
 * The SQL store (`token-auth/sql`): users, sessions, settings and throttling counters in
 * PostgreSQL or SQLite tables (prefixed `token_auth_`), every operation one statement or one
 * short transaction, atomic across every process sharing the database. PostgreSQL goes
 * through Kysely and `pg`, SQLite files through better-sqlite3 (optional peers: install the
 * ones you use). The schema is versioned; `npx token-auth migrate up --url <DATABASE_URL>`
 * applies it (or open the store with `migrate: true`).
 *
 * @example
 * ```ts
 * import { createTokenAuth } from 'token-auth';
 * import { createPostgresStore, createSqliteSqlStore } from 'token-auth/sql';
 *
 * const store = process.env.DATABASE_URL
 *   ? await createPostgresStore({ connectionString: process.env.DATABASE_URL })
 *   : await createSqliteSqlStore({ path: './data/auth.sqlite', migrate: true });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 *
 * @module token-auth/sql
 */

export {
  createPostgresStore,
  createSqliteSqlStore,
  createSqlStore,
  getSqlSchemaStatus,
  type KyselySqlStoreOptions,
  migrateSqlSchema,
  type PostgresStoreOptions,
  type SqliteSqlStoreOptions,
  type SqlKyselyTarget,
  type SqlMigrationTarget,
  type SqlStoreOptions,
  type SqlUrlTarget,
  type UrlSqlStoreOptions,
} from './create.js';
export type {
  AppliedSqlMigration,
  SqlMigrationInfo,
  SqlMigrationResult,
  SqlSchemaStatus,
} from './migrate.js';
export { SCHEMA_VERSION as SQL_SCHEMA_VERSION } from './schema.js';
export { type PurgeOptions, type PurgeResult, SqlStore } from './sql-store.js';
export type { SqlDialect } from './statements.js';
