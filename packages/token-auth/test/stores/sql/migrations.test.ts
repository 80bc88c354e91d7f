import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/errors.js';
import {
  createSqlStore,
  getSqlSchemaStatus,
  migrateSqlSchema,
  SQL_SCHEMA_VERSION,
} from '../../../src/stores/sql/index.js';
import { MIGRATIONS } from '../../../src/stores/sql/schema.js';
import { type Finished, startBin } from './processes.js';
import { TABLES, tempDir, usePostgres, withSqlite } from './use-databases.js';

const postgres = usePostgres();
const removals: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const remove of removals) await remove();
});

/** A fresh, empty database of each dialect, and how to read its table names. */
const DATABASES = {
  SQLite: {
    async url() {
      const { dir, remove } = await tempDir();
      removals.push(remove);
      return `sqlite://${join(dir, 'auth.sqlite')}`;
    },
    async tables(url: string) {
      const path = url.slice('sqlite://'.length);
      return withSqlite(path, (db) =>
        (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
          (row) => row.name,
        ),
      );
    },
    async query(url: string, sql: string) {
      withSqlite(url.slice('sqlite://'.length), (db) => db.exec(sql));
    },
  },
  PostgreSQL: {
    async url() {
      return (await postgres.schema()).url;
    },
    async tables(url: string) {
      const schema = /search_path%3D(\w+)/.exec(url)?.[1];
      const { rows } = await postgres.admin.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [
        schema,
      ]);
      return rows.map((row: { tablename: string }) => row.tablename);
    },
    async query(url: string, sql: string) {
      const schema = /search_path%3D(\w+)/.exec(url)?.[1];
      await postgres.admin.query(`SET search_path = ${schema}; ${sql}; RESET search_path`);
    },
  },
};

const everyMigration = MIGRATIONS.map(({ version, name }) => ({ version, name }));

describe.each(Object.entries(DATABASES))('migrations on %s', (_, database) => {
  it('status of an empty database is version 0 with every migration pending', async () => {
    expect(await getSqlSchemaStatus({ url: await database.url() })).toEqual({
      current: 0,
      required: SQL_SCHEMA_VERSION,
      applied: [],
      pending: everyMigration,
    });
  });

  it('migrate applies every migration and records each with its time', async () => {
    const url = await database.url();
    const before = Date.now();
    const { applied, status } = await migrateSqlSchema({ url });
    expect(applied).toEqual(everyMigration);
    expect(status).toMatchObject({ current: SQL_SCHEMA_VERSION, pending: [] });
    for (const migration of status.applied) expect(migration.appliedAt).toBeGreaterThanOrEqual(before);
  });

  it('migrate creates the store tables, all prefixed token_auth_, and nothing else', async () => {
    const url = await database.url();
    await migrateSqlSchema({ url });
    const tables = (await database.tables(url)).filter((name) => name !== 'sqlite_sequence');
    expect(tables.sort()).toEqual([...TABLES, 'token_auth_migrations'].sort());
  });

  it('migrating twice is a no-op: the second run applies nothing and keeps the records', async () => {
    const url = await database.url();
    const first = await migrateSqlSchema({ url });
    const second = await migrateSqlSchema({ url });
    expect(second.applied).toEqual([]);
    expect(second.status).toEqual(first.status);
  });

  it('a store refuses a database behind this release, names the migrate command, and creates nothing', async () => {
    const url = await database.url();
    await expect(createSqlStore({ url })).rejects.toThrow(
      /schema is at version 0 .*needs version \d+.*npx token-auth migrate up --url <DATABASE_URL>/,
    );
    expect(await database.tables(url)).toEqual([]);
  });

  it('a store with migrate: true applies the pending migrations when it opens', async () => {
    const url = await database.url();
    const store = await createSqlStore({ url, migrate: true, purgeIntervalMs: 0 });
    await store.close();
    expect((await getSqlSchemaStatus({ url })).current).toBe(SQL_SCHEMA_VERSION);
  });

  it('a store refuses a database ahead of this release, saying to upgrade token-auth', async () => {
    const url = await database.url();
    await migrateSqlSchema({ url });
    await database.query(
      url,
      `INSERT INTO token_auth_migrations (version, name, applied_at) VALUES (${SQL_SCHEMA_VERSION + 1}, 'future', 0)`,
    );
    const refusal = createSqlStore({ url, migrate: true });
    await expect(refusal).rejects.toBeInstanceOf(StoreError);
    await expect(refusal).rejects.toThrow(/newer than this release of token-auth knows .*upgrade token-auth/);
  });
});

describe('migrations through the application’s Kysely instance', () => {
  it('migrate and status take { db, dialect }', async () => {
    const url = await DATABASES.SQLite.url();
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new Database(url.slice('sqlite://'.length)) }),
    });
    try {
      await migrateSqlSchema({ db, dialect: 'sqlite' });
      expect((await getSqlSchemaStatus({ db, dialect: 'sqlite' })).current).toBe(SQL_SCHEMA_VERSION);
    } finally {
      await db.destroy();
    }
  });
});

describe('migrations status of a SQLite file that does not exist', () => {
  it('reports version 0 and does not create the file', async () => {
    const url = await DATABASES.SQLite.url();
    expect((await getSqlSchemaStatus({ url })).current).toBe(0);
    expect(existsSync(url.slice('sqlite://'.length))).toBe(false);
  });
});

/** Polls `check` until it holds: a readiness wait on the racing processes, not a timing assertion. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Whether process `pid` has `path` open (Linux); `true` where /proc cannot tell. */
function hasOpen(pid: number | undefined, path: string): boolean {
  const fds = `/proc/${pid}/fd`;
  if (pid === undefined || !existsSync('/proc/self/fd')) return true;
  try {
    return readdirSync(fds).some((fd) => {
      try {
        return readlinkSync(join(fds, fd)) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

function expectOneAppliedOneIdle(results: Finished[]): void {
  expect(results.map((result) => result.status)).toEqual([0, 0]);
  const outputs = results.map((result) => result.stdout);
  expect(outputs.filter((out) => out.includes(`applied ${SQL_SCHEMA_VERSION}:`))).toHaveLength(1);
  expect(outputs.filter((out) => out.includes('nothing to apply'))).toHaveLength(1);
}

describe('migrations racing on PostgreSQL whose default isolation is REPEATABLE READ', () => {
  it('apply each migration once and let every runner succeed', async () => {
    const database = `rr_${Date.now()}`;
    await postgres.admin.query(`CREATE DATABASE ${database}`);
    await postgres.admin.query(
      `ALTER DATABASE ${database} SET default_transaction_isolation = 'repeatable read'`,
    );
    const url = postgres.admin.options.connectionString?.replace(
      /\/[^/?]*(\?.*)?$/,
      `/${database}`,
    ) as string;
    const results = await Promise.all(Array.from({ length: 4 }, () => migrateSqlSchema({ url })));
    expect(results.map((result) => result.applied.length).sort()).toEqual([0, 0, 0, everyMigration.length]);
  }, 60_000);
});

describe('two processes running token-auth migrate up at once', () => {
  it('on PostgreSQL, both succeed and each migration is applied once (advisory lock)', async () => {
    const url = await DATABASES.PostgreSQL.url();
    const holder = await postgres.admin.connect();
    try {
      // Hold the migration lock so that both processes are waiting on it, then let them race.
      await holder.query('SELECT pg_advisory_lock(8390042714202273140)');
      const runs = [startBin(['migrate', 'up', '--url', url]), startBin(['migrate', 'up', '--url', url])];
      await until(async () => {
        const { rows } = await postgres.admin.query(
          "SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        return rows[0].waiting === 2;
      }, 'both processes wait for the migration lock');
      await holder.query('SELECT pg_advisory_unlock(8390042714202273140)');
      expectOneAppliedOneIdle(await Promise.all(runs.map((run) => run.done)));
    } finally {
      holder.release();
    }
    const status = await getSqlSchemaStatus({ url });
    expect(status.applied.map((migration) => migration.version)).toEqual(
      everyMigration.map((m) => m.version),
    );
  }, 60_000);

  it('on a SQLite file, both succeed and each migration is applied once (BEGIN IMMEDIATE)', async () => {
    const url = await DATABASES.SQLite.url();
    const path = url.slice('sqlite://'.length);
    const holder = new Database(path);
    try {
      holder.pragma('journal_mode = WAL');
      // Hold the write lock until both processes have the file open and are about to take it.
      holder.exec('BEGIN IMMEDIATE');
      const runs = [startBin(['migrate', 'up', '--url', url]), startBin(['migrate', 'up', '--url', url])];
      await until(() => runs.every((run) => hasOpen(run.child.pid, path)), 'both processes opened the file');
      holder.exec('COMMIT');
      expectOneAppliedOneIdle(await Promise.all(runs.map((run) => run.done)));
    } finally {
      holder.close();
    }
    const status = await getSqlSchemaStatus({ url });
    expect(status.applied.map((migration) => migration.version)).toEqual(
      everyMigration.map((m) => m.version),
    );
  }, 60_000);
});
