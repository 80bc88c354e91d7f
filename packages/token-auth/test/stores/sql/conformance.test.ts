import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, it } from 'vitest';
import {
  createPostgresStore,
  createSqliteSqlStore,
  createSqlStore,
  type SqlStore,
} from '../../../src/stores/sql/index.js';
import { runStoreConformanceSuite } from '../../../src/testing/index.js';
import { countSqliteRows, dropSqliteTables, type PgSchema, tempDir, usePostgres } from './use-databases.js';

const postgres = usePostgres();

// Each test opens and migrates a database; the model-based test does it once per run. Give
// them room on a loaded machine.
const TIMEOUT_MS = 120_000;
const api = {
  describe,
  it: Object.assign((name: string, body: () => unknown) => it(name, body, TIMEOUT_MS), { skip: it.skip }),
};

// The automatic purge is off: countRecords purges as of the suite's clock.
const manual = { purgeIntervalMs: 0 };

interface SqliteFixture {
  store: SqlStore;
  path: string;
  remove: () => Promise<void>;
}

runStoreConformanceSuite<SqliteFixture>(
  'SqlStore on a SQLite file',
  {
    async create() {
      const { dir, remove } = await tempDir();
      const path = join(dir, 'auth.sqlite');
      return { store: await createSqliteSqlStore({ path, migrate: true, ...manual }), path, remove };
    },
    async reopen(fixture) {
      fixture.store = await createSqliteSqlStore({ path: fixture.path, ...manual });
      return fixture.store;
    },
    async countRecords({ store, path }, now) {
      await store.purgeExpired(now);
      return countSqliteRows(path);
    },
    // The tables vanish under the store: every later statement fails.
    breakBackend: ({ path }) => dropSqliteTables(path),
    destroy: ({ remove }) => remove(),
  },
  api,
);

interface KyselyFixture extends SqliteFixture {
  db: Kysely<unknown>;
}

async function kyselyStore(
  path: string,
  migrate: boolean,
): Promise<{ store: SqlStore; db: Kysely<unknown> }> {
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: new Database(path, { timeout: 5000 }) }),
  });
  return { store: await createSqlStore({ db, dialect: 'sqlite', migrate, ...manual }), db };
}

runStoreConformanceSuite<KyselyFixture>(
  "SqlStore on the application's Kysely (SQLite)",
  {
    async create() {
      const { dir, remove } = await tempDir();
      const path = join(dir, 'auth.sqlite');
      return { ...(await kyselyStore(path, true)), path, remove };
    },
    async reopen(fixture) {
      await fixture.db.destroy();
      Object.assign(fixture, await kyselyStore(fixture.path, false));
      return fixture.store;
    },
    async countRecords({ store, path }, now) {
      await store.purgeExpired(now);
      return countSqliteRows(path);
    },
    breakBackend: ({ path }) => dropSqliteTables(path),
    async destroy({ db, remove }) {
      await db.destroy();
      await remove();
    },
  },
  api,
);

interface PgFixture {
  store: SqlStore;
  schema: PgSchema;
}

runStoreConformanceSuite<PgFixture>(
  'SqlStore on PostgreSQL',
  {
    async create() {
      const schema = await postgres.schema();
      return {
        store: await createPostgresStore({ connectionString: schema.url, migrate: true, ...manual }),
        schema,
      };
    },
    async reopen(fixture) {
      fixture.store = await createPostgresStore({ connectionString: fixture.schema.url, ...manual });
      return fixture.store;
    },
    async countRecords({ store, schema }, now) {
      await store.purgeExpired(now);
      return postgres.countRows(schema);
    },
    // The schema vanishes under the store: every later statement fails.
    breakBackend: ({ schema }) => postgres.drop(schema),
    destroy: ({ schema }) => postgres.drop(schema),
  },
  api,
);
