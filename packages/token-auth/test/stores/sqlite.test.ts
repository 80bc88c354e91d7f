import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyvSqlite } from '@keyv/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.js';
import { createSqliteStore, type SqliteStore } from '../../src/stores/sqlite.js';
import { runStoreConformanceSuite } from '../../src/testing.js';
import { makeTempDir, storedUser } from './fixtures.js';

/** Runs a query on the store's own connection (the file is locked against any other). */
function queryStore<Row = Record<string, unknown>>(store: SqliteStore, sql: string): Promise<Row[]> {
  return (store.keyv.store as KeyvSqlite).query(sql) as Promise<Row[]>;
}

interface SqliteFixture {
  store: SqliteStore;
  file: string;
  remove: () => Promise<void>;
}

runStoreConformanceSuite<SqliteFixture>(
  'KeyvStore over a SQLite file',
  {
    async create() {
      const { dir, remove } = await makeTempDir();
      const file = join(dir, 'auth.sqlite');
      return { store: await createSqliteStore({ path: file }), file, remove };
    },
    reopen: ({ file }) => createSqliteStore({ path: file }),
    destroy: ({ remove }) => remove(),
    countRecords: async ({ store }, now) => {
      await store.sweep(now);
      const [row] = await queryStore<{ n: number }>(store, 'SELECT COUNT(*) AS n FROM keyv');
      return row?.n ?? 0;
    },
    // Closing the adapter's connection under the store: every later statement fails.
    breakBackend: ({ store }) => (store.keyv.store as KeyvSqlite).close(),
  },
  { describe, it },
);

const user = storedUser;

/** Paths of the files this process holds open (Linux). */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe('createSqliteStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const stores: SqliteStore[] = [];

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
  });

  afterEach(async () => {
    await Promise.allSettled(stores.splice(0).map((store) => store.close()));
    await remove();
  });

  async function open(options: Parameters<typeof createSqliteStore>[0]): Promise<SqliteStore> {
    const store = await createSqliteStore(options);
    stores.push(store);
    return store;
  }

  it('puts its connection in WAL journal mode', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite') });
    expect(await store.readPragma('journal_mode')).toBe('wal');
  });

  it('sets synchronous to NORMAL on its connection', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite') });
    expect(await store.readPragma('synchronous')).toBe(1);
  });

  it('sets busy_timeout on its connection, 5000 ms by default', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite') });
    expect(await store.readPragma('busy_timeout')).toBe(5000);
  });

  it('sets the busy_timeout it is given', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite'), busyTimeoutMs: 1234 });
    expect(await store.readPragma('busy_timeout')).toBe(1234);
  });

  it('creates the missing parent directories of the file', async () => {
    const file = join(dir, 'nested', 'deeper', 'auth.sqlite');
    const store = await open({ path: file });
    await store.createUser(user('ada@example.com'));
    expect(existsSync(file)).toBe(true);
  });

  it('opens a sqlite:// uri', async () => {
    const file = join(dir, 'by-uri.sqlite');
    const store = await open({ uri: `sqlite://${file}` });
    await store.createUser(user('ada@example.com'));
    const rows = await queryStore(store, "SELECT key FROM keyv WHERE key LIKE '%user:1'");
    expect(rows).toHaveLength(1);
  });

  it('releases the database file on close', async () => {
    const file = join(dir, 'auth.sqlite');
    const store = await createSqliteStore({ path: file });
    await store.createUser(user('ada@example.com'));
    expect(openFiles()).toContain(file);
    await store.close();
    expect(openFiles().filter((path) => path.startsWith(file))).toEqual([]);
    // The last connection to close checkpoints and removes the write-ahead log.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('holds the file exclusively: a second store on it fails with a StoreError saying so', async () => {
    const file = join(dir, 'auth.sqlite');
    await open({ path: file });
    const error = await createSqliteStore({ path: file }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/in use by another process/);
  });

  it('lets another store open the file once the first is closed', async () => {
    const file = join(dir, 'auth.sqlite');
    const first = await createSqliteStore({ path: file });
    await first.createUser(user('ada@example.com'));
    await first.close();
    const second = await open({ path: file, busyTimeoutMs: 50 });
    await expect(second.getUserByEmailKey('ada@example.com')).resolves.toMatchObject({ id: 1 });
  });

  it('rejects operations after close with a StoreError', async () => {
    const store = await createSqliteStore({ path: join(dir, 'auth.sqlite') });
    await store.close();
    await expect(store.getUserById(1)).rejects.toBeInstanceOf(StoreError);
  });

  it('purges only its own expired rows, in one statement', async () => {
    const file = join(dir, 'auth.sqlite');
    // Two namespaces in one file, from one process: the exclusive file lock is off for this.
    const mine = await open({ path: file, gcGraceMs: 0, exclusive: false });
    const now = Date.now();
    await mine.hit('login:ada', 1_000, now);
    await mine.createUser(user('ada@example.com'));
    const theirs = await open({
      path: join(dir, 'auth.sqlite'),
      namespace: 'other',
      gcGraceMs: 0,
      exclusive: false,
    });
    await theirs.hit('login:ada', 1_000, now);
    expect(await mine.sweep(now + 10_000)).toBe(1);
    expect(await theirs.peekHits('login:ada', now)).toEqual({ count: 1, resetAt: now + 1_000 });
    expect(await mine.getUserByEmailKey('ada@example.com')).toBeDefined();
  });

  it('fails with a StoreError when the file cannot be opened', async () => {
    const occupied = join(dir, 'a-directory');
    await mkdir(occupied);
    await expect(createSqliteStore({ path: occupied })).rejects.toBeInstanceOf(StoreError);
  });

  it('rejects options naming both path and uri with a ConfigError', async () => {
    await expect(
      createSqliteStore({ path: join(dir, 'a.sqlite'), uri: 'sqlite://b.sqlite' }),
    ).rejects.toThrow(ConfigError);
  });

  it('rejects options naming neither path nor uri with a ConfigError naming both', async () => {
    await expect(createSqliteStore({})).rejects.toThrow(/path and uri/);
  });

  it('rejects a uri that is not sqlite:// with a ConfigError naming uri', async () => {
    await expect(createSqliteStore({ uri: 'postgres://localhost/db' })).rejects.toThrow(
      /uri must be a sqlite/,
    );
  });

  it('rejects a negative busyTimeoutMs with a ConfigError naming it', async () => {
    await expect(createSqliteStore({ path: join(dir, 'a.sqlite'), busyTimeoutMs: -1 })).rejects.toThrow(
      /busyTimeoutMs/,
    );
  });

  it('rejects a pragma name that is not a plain identifier', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite') });
    await expect(store.readPragma('journal_mode; DROP TABLE keyv')).rejects.toThrow(/plain pragma name/);
  });
});
