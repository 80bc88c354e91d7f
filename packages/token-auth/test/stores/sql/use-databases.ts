/**
 * The SQL store tests' shared setup: one throwaway PostgreSQL server per test file with a
 * fresh schema per store (found through `search_path`), temporary SQLite files, and plain
 * connections to count and tamper with the store's rows.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type PostgresServerHandle, startPostgresServer } from '../../helpers/postgres-server.js';

/** The store's tables, the migration bookkeeping excluded. */
export const TABLES = [
  'token_auth_users',
  'token_auth_sessions',
  'token_auth_rotated_tokens',
  'token_auth_settings',
  'token_auth_settings_history',
  'token_auth_throttle',
] as const;

/** A schema of its own on the test server. */
export interface PgSchema {
  /** The schema's name. */
  name: string;
  /** A URL whose `search_path` is the schema. */
  url: string;
}

/** What {@link usePostgres} gives a test file. */
export interface PostgresTestBed {
  /** The server (started before the file's tests). */
  readonly server: PostgresServerHandle;
  /** A pool on the `postgres` database, for inspecting and tampering. */
  readonly admin: pg.Pool;
  /** Creates an empty schema (dropped after the file). */
  schema(): Promise<PgSchema>;
  /** Drops a schema and everything in it. */
  drop(schema: PgSchema): Promise<void>;
  /** Rows of every store table of the schema, summed. */
  countRows(schema: PgSchema): Promise<number>;
  /** A pool whose connections use the schema, ended after the file. */
  pool(schema: PgSchema, max?: number): pg.Pool;
}

/** Registers the hooks that start and stop one PostgreSQL server for the calling test file. */
export function usePostgres(): PostgresTestBed {
  let server: PostgresServerHandle | undefined;
  let admin: pg.Pool | undefined;
  let schemas = 0;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    server = await startPostgresServer();
    admin = new pg.Pool({ connectionString: server.url(), max: 4 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await admin?.end();
    await server?.stop();
  });
  const bed: PostgresTestBed = {
    get server() {
      if (!server) throw new Error('PostgreSQL is not started yet');
      return server;
    },
    get admin() {
      if (!admin) throw new Error('PostgreSQL is not started yet');
      return admin;
    },
    async schema() {
      const name = `t${++schemas}_${process.pid}`;
      await bed.admin.query(`CREATE SCHEMA ${name}`);
      return { name, url: bed.server.url('postgres', { searchPath: name }) };
    },
    async drop(schema) {
      await bed.admin.query(`DROP SCHEMA IF EXISTS ${schema.name} CASCADE`);
    },
    async countRows(schema) {
      const counts = TABLES.map((table) => `(SELECT count(*) FROM ${schema.name}.${table})`).join(' + ');
      const { rows } = await bed.admin.query(`SELECT ${counts} AS total`);
      return Number(rows[0].total);
    },
    pool(schema, max = 10) {
      const pool = new pg.Pool({ connectionString: schema.url, max });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
  };
  return bed;
}

/** A temporary directory for SQLite files. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'token-auth-sql-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Runs `fn` on a second, plain connection to a SQLite file.
 *
 * @param path - The file.
 * @param fn - What to do with the connection.
 * @returns What `fn` returned.
 */
export function withSqlite<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { timeout: 5000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Rows of every store table of a SQLite file, summed. */
export function countSqliteRows(path: string): number {
  return withSqlite(path, (db) =>
    TABLES.reduce(
      (sum, table) => sum + (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
      0,
    ),
  );
}

/** Drops the store's tables of a SQLite file under a running store: its calls fail from then on. */
export function dropSqliteTables(path: string): void {
  withSqlite(path, (db) => {
    for (const table of [...TABLES].reverse()) db.exec(`DROP TABLE IF EXISTS ${table}`);
  });
}
