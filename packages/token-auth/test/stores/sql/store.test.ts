import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CamelCasePlugin, Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../../src/errors.js';
import {
  createPostgresStore,
  createSqliteSqlStore,
  createSqlStore,
  type SqlStore,
  type SqlStoreOptions,
} from '../../../src/stores/sql/index.js';
import { freePort } from '../../helpers/redis-server.js';
import { isEmailTaken, MINUTE_MS, newHead, newSession, newUser } from '../fixtures.js';
import { countSqliteRows, tempDir, usePostgres } from './use-databases.js';

const postgres = usePostgres();
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated, empty store of each dialect, whose SQL statements are logged. */
const DIALECTS = {
  async SQLite(options: SqlStoreOptions = {}) {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const path = join(dir, 'auth.sqlite');
    const log: string[] = [];
    const database = new Database(path, { verbose: (text) => log.push(String(text)) });
    cleanups.push(() => database.close());
    const store = await createSqliteSqlStore({ database, migrate: true, purgeIntervalMs: 0, ...options });
    cleanups.push(() => store.close());
    return { store, log };
  },
  async PostgreSQL(options: SqlStoreOptions = {}) {
    const schema = await postgres.schema();
    const log: string[] = [];
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: postgres.pool(schema) }),
      log: (event: LogEvent) => {
        log.push(event.query.sql);
      },
    });
    const store = await createSqlStore({
      db,
      dialect: 'postgres',
      migrate: true,
      purgeIntervalMs: 0,
      ...options,
    });
    cleanups.push(() => store.close());
    return { store, log };
  },
};

describe.each(Object.entries(DIALECTS))('the SQL store on %s', (dialect, open) => {
  it('turns a unique violation of the email key into email_taken, keeping the driver error as cause', async () => {
    const { store } = await open();
    await store.createUser(newUser('ada@example.com'));
    const failure = await store.createUser(newUser('ada@example.com')).catch((error: unknown) => error);
    expect(isEmailTaken(failure)).toBe(true);
    expect((failure as Error).cause).toMatchObject({
      code: dialect === 'SQLite' ? 'SQLITE_CONSTRAINT_UNIQUE' : '23505',
    });
  });

  it('lets another unique violation (a session id used twice) surface as the driver error', async () => {
    const { store } = await open();
    const ada = await store.createUser(newUser('ada@example.com'));
    const session = newSession({ userId: ada.id, createdAt: 1_000 });
    await store.startSession(session);
    const failure = await store
      .startSession({ ...session, headHash: newHead(0).hash })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isEmailTaken(failure)).toBe(false);
  });

  it('answers undefined for a user id that is not a positive integer, without asking the database', async () => {
    const { store, log } = await open();
    const before = log.length;
    expect([await store.getUserById(1.5), await store.getUserById(-1)]).toEqual([undefined, undefined]);
    expect(log.length).toBe(before);
  });

  it('rejects every call with a StoreError once closed', async () => {
    const { store } = await open();
    await store.close();
    await expect(store.getUserById(1)).rejects.toThrow(new StoreError('The store is closed'));
  });

  it('deletes expired sessions in DELETE statements of at most batchSize rows each', async () => {
    const { store, log } = await open({ gcGraceMs: 0 });
    const ada = await store.createUser(newUser('ada@example.com'));
    for (let i = 0; i < 25; i++) {
      await store.startSession(newSession({ userId: ada.id, createdAt: 1_000 + i, expiresAt: 60_000 }));
    }
    const live = newSession({ userId: ada.id, createdAt: 2_000, expiresAt: 10 * MINUTE_MS });
    await store.startSession(live);
    const before = log.length;
    const purged = await store.purgeExpired(60_000, { batchSize: 10 });
    const sessionDeletes = log.slice(before).filter((text) => /^DELETE FROM token_auth_sessions/.test(text));
    expect(purged).toEqual({ rotatedTokens: 0, sessions: 25, counters: 0 });
    expect(sessionDeletes).toHaveLength(3); // 10, 10 and the short batch of 5 that ends the loop
    expect((await store.listSessions(ada.id, 60_000)).map((session) => session.id)).toEqual([live.id]);
  });

  it('keeps an expired session for gcGraceMs: until then its head still answers expired', async () => {
    const { store } = await open({ gcGraceMs: 30_000 });
    const ada = await store.createUser(newUser('ada@example.com'));
    const session = newSession({ userId: ada.id, createdAt: 0, expiresAt: 60_000 });
    await store.startSession(session);
    await store.purgeExpired(60_000 + 29_999);
    expect((await store.rotate(session.headHash, newHead(200_000), 100_000)).status).toBe('expired');
    await store.purgeExpired(60_000 + 30_000);
    expect((await store.rotate(session.headHash, newHead(200_000), 100_000)).status).toBe('unknown');
  });

  it('purges a rotated token once its own expiry is past, while its session lives on', async () => {
    const { store } = await open({ gcGraceMs: 0 });
    const ada = await store.createUser(newUser('ada@example.com'));
    const session = newSession({ userId: ada.id, createdAt: 0, expiresAt: 60_000 });
    await store.startSession(session);
    await store.rotate(session.headHash, newHead(10 * MINUTE_MS), 1_000);
    expect(await store.purgeExpired(59_999)).toEqual({ rotatedTokens: 0, sessions: 0, counters: 0 });
    expect(await store.purgeExpired(60_000)).toEqual({ rotatedTokens: 1, sessions: 0, counters: 0 });
  });

  it('refuses a purge batchSize that is not a positive integer', async () => {
    const { store } = await open();
    await expect(store.purgeExpired(0, { batchSize: 0 })).rejects.toThrow(
      /batchSize must be a positive integer/,
    );
  });
});

describe('the SQL store purge timer', () => {
  it('purges every purgeIntervalMs of wall-clock time by itself', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(1_000_000);
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const path = join(dir, 'auth.sqlite');
    const store = await createSqliteSqlStore({ path, migrate: true, gcGraceMs: 0, purgeIntervalMs: 60_000 });
    cleanups.push(() => store.close());
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.startSession(newSession({ userId: ada.id, createdAt: 1_000_000, expiresAt: 1_030_000 }));
    vi.advanceTimersByTime(60_000);
    await new Promise((resolve) => setImmediate(resolve)); // let the purge's statements run
    expect(countSqliteRows(path)).toBe(1); // the user
  });
});

describe("the SQL store on the application's Kysely (PostgreSQL)", () => {
  async function appDb(options: { plugins?: CamelCasePlugin[]; max?: number } = {}) {
    const schema = await postgres.schema();
    const pool = postgres.pool(schema, options.max ?? 10);
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool }),
      plugins: options.plugins ?? [],
    });
    return { db, pool };
  }

  it("reads its rows as written whatever the application's plugins (CamelCasePlugin)", async () => {
    const { db } = await appDb({ plugins: [new CamelCasePlugin()] });
    const store = await createSqlStore({ db, dialect: 'postgres', migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    const ada = await store.createUser(newUser('ada@example.com'));
    const session = newSession({ userId: ada.id, createdAt: 1_000 });
    await store.startSession(session);
    expect(await store.getUserById(ada.id)).toEqual(ada);
    expect((await store.rotate(session.headHash, newHead(90_000), 2_000)).status).toBe('rotated');
  });

  it("shares the application's pool: with one connection, the store and the application take turns", async () => {
    const { db, pool } = await appDb({ max: 1 });
    const store = await createSqlStore({ db, dialect: 'postgres', migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    const [ada, one] = await Promise.all([
      store.createUser(newUser('ada@example.com')),
      sql<{ one: number }>`SELECT 1 AS one`.execute(db),
    ]);
    expect([ada.id, one.rows[0]?.one, pool.totalCount]).toEqual([1, 1, 1]);
  });

  it("leaves the application's Kysely usable after close", async () => {
    const { db } = await appDb();
    const store = await createSqlStore({ db, dialect: 'postgres', migrate: true, purgeIntervalMs: 0 });
    await store.close();
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it("runs inside the application's transaction: a rollback undoes the store's writes", async () => {
    const { db } = await appDb();
    const store = await createSqlStore({ db, dialect: 'postgres', migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    const rollback = new Error('rollback');
    await expect(
      db.transaction().execute(async (trx) => {
        const inside = await createSqlStore({ db: trx, dialect: 'postgres' });
        await inside.createUser(newUser('ada@example.com'));
        expect(await inside.getUserByEmailKey('ada@example.com')).toBeDefined();
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await store.getUserByEmailKey('ada@example.com')).toBeUndefined();
  });
});

describe('createPostgresStore', () => {
  it("uses the application's pool and leaves it open on close", async () => {
    const pool = postgres.pool(await postgres.schema());
    const store = await createPostgresStore({ pool, migrate: true, purgeIntervalMs: 0 });
    await store.createUser(newUser('ada@example.com'));
    await store.close();
    expect((await pool.query('SELECT count(*)::int AS n FROM token_auth_users')).rows).toEqual([{ n: 1 }]);
  });

  it('fails with a StoreError, without the password, when the server cannot be reached', async () => {
    const url = `postgres://ada:s3cret-pw@127.0.0.1:${await freePort()}/app`;
    const failure = await createPostgresStore({ connectionString: url }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toMatch(/cannot read the schema version/);
    expect(
      JSON.stringify({ message: (failure as Error).message, cause: String((failure as Error).cause) }),
    ).not.toContain('s3cret-pw');
  });

  it.each<[string, Parameters<typeof createPostgresStore>[0]]>([
    ['neither connectionString nor pool', {}],
    ['a URL of another database', { connectionString: 'mysql://root:hunter2@db/app' }],
    ['a maxConnections of 0', { connectionString: 'postgres://db/app', maxConnections: 0 }],
    ['a negative purgeIntervalMs', { connectionString: 'postgres://db/app', purgeIntervalMs: -1 }],
  ])('refuses %s with a ConfigError that does not repeat the URL', async (_, options) => {
    const failure = await createPostgresStore(options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).not.toContain('hunter2');
  });
});

describe('createSqlStore', () => {
  it.each<[string, Parameters<typeof createSqlStore>[0]]>([
    ['no database', {} as Parameters<typeof createSqlStore>[0]],
    ['a db that is not a Kysely instance', { db: {} as Kysely<unknown>, dialect: 'postgres' }],
    [
      'an unknown dialect',
      { db: { executeQuery: () => undefined } as unknown as Kysely<unknown>, dialect: 'mysql' as 'postgres' },
    ],
    ['a URL of another database', { url: 'redis://127.0.0.1:6379' }],
  ])('refuses %s with a ConfigError', async (_, options) => {
    await expect(createSqlStore(options)).rejects.toBeInstanceOf(ConfigError);
  });

  it('opens a SQLite file from a sqlite:// URL', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const store: SqlStore = await createSqlStore({ url: `sqlite://${join(dir, 'a.sqlite')}`, migrate: true });
    cleanups.push(() => store.close());
    expect(store.dialect).toBe('sqlite');
  });
});
