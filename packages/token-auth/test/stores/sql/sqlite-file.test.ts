import { chmodSync, existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { openSqliteFile } from '../../../src/stores/sql/create.js';
import { createSqliteSqlStore, type SqlStore } from '../../../src/stores/sql/index.js';
import { newHead, newSession, newUser } from '../fixtures.js';
import { tempDir, withSqlite } from './use-databases.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fileInTempDir(name = 'auth.sqlite'): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  return join(dir, name);
}

async function open(
  path: string,
  options: Parameters<typeof createSqliteSqlStore>[0] = {},
): Promise<SqlStore> {
  const store = await createSqliteSqlStore({ path, migrate: true, purgeIntervalMs: 0, ...options });
  cleanups.push(() => store.close());
  return store;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('createSqliteSqlStore on a file', () => {
  it.each([
    ['journal_mode', 'wal'],
    ['synchronous', 1], // NORMAL
    ['foreign_keys', 1],
    ['busy_timeout', 2500],
  ])('opens the file with %s = %s', async (pragma, value) => {
    const db = openSqliteFile(Database, await fileInTempDir(), 2500);
    cleanups.push(() => db.close());
    expect(db.pragma(pragma, { simple: true })).toBe(value);
  });

  it('creates the database file and its -wal and -shm files with mode 0600', async () => {
    const path = await fileInTempDir();
    const store = await open(path);
    await store.createUser(newUser('ada@example.com'));
    expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual([0o600, 0o600, 0o600]);
  });

  it('leaves the mode of an existing file alone', async () => {
    const path = await fileInTempDir();
    withSqlite(path, (db) => db.exec('CREATE TABLE app_data (x)'));
    chmodSync(path, 0o640);
    await open(path);
    expect(mode(path)).toBe(0o640);
  });

  it('creates the missing parent directories of the file', async () => {
    const path = await fileInTempDir(join('nested', 'deeper', 'auth.sqlite'));
    await open(path);
    expect(existsSync(path)).toBe(true);
  });

  it('lets several stores share one file: what one writes, the other reads', async () => {
    const path = await fileInTempDir();
    const [first, second] = [await open(path), await open(path)];
    const ada = await first.createUser(newUser('ada@example.com'));
    await first.startSession(newSession({ userId: ada.id, createdAt: 1_000 }));
    expect(await second.getUserByEmailKey('ada@example.com')).toEqual(ada);
    expect(await second.listSessions(ada.id, 1_000)).toHaveLength(1);
  });

  it('holds no lock between calls: another connection writes to the file while the store is open', async () => {
    const path = await fileInTempDir();
    const store = await open(path);
    await store.createUser(newUser('ada@example.com'));
    withSqlite(path, (db) => db.prepare("UPDATE token_auth_users SET username = 'set elsewhere'").run());
    expect((await store.getUserByEmailKey('ada@example.com'))?.username).toBe('set elsewhere');
  });

  it('keeps the rotated-token entries of an ended session, answering unknown, until a purge after their expiry', async () => {
    const path = await fileInTempDir();
    const store = await open(path);
    const ada = await store.createUser(newUser('ada@example.com'));
    // The session (and so its first token) expires at 61 000.
    const session = newSession({ userId: ada.id, createdAt: 1_000 });
    await store.startSession(session);
    await store.rotate(session.headHash, newHead(120_000), 2_000);
    await store.endSession(ada.id, session.id);
    const count = () =>
      withSqlite(path, (db) => db.prepare('SELECT count(*) AS n FROM token_auth_rotated_tokens').get());
    expect(await store.rotate(session.headHash, newHead(130_000), 3_000)).toEqual({ status: 'unknown' });
    expect(count()).toEqual({ n: 1 });
    // Kept for gcGraceMs (60 s) past its expiry, then purged.
    expect((await store.purgeExpired(120_999)).rotatedTokens).toBe(0);
    expect((await store.purgeExpired(121_000)).rotatedTokens).toBe(1);
    expect(count()).toEqual({ n: 0 });
  });

  it('keeps a :memory: database private to the store', async () => {
    const store = await createSqliteSqlStore({ path: ':memory:', migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    const ada = await store.createUser(newUser('ada@example.com'));
    expect(await store.getUserById(ada.id)).toEqual(ada);
  });
});

/** Lets the event loop end its turn (the user cache checks the file once per turn). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the user cache of a SQLite file store', () => {
  it('never serves a user changed by another connection in an earlier turn of the event loop', async () => {
    const path = await fileInTempDir();
    const reader = await open(path);
    const writer = await open(path);
    const user = await writer.createUser(newUser('ada@example.com'));
    await reader.getUserById(user.id);
    await writer.updateUser(user.id, { username: 'Ada', isActive: false });
    await nextTurn();
    await expect(reader.getUserById(user.id)).resolves.toMatchObject({ username: 'Ada', isActive: false });
  });

  it('never serves a user changed by raw SQL of another process', async () => {
    const path = await fileInTempDir();
    const store = await open(path);
    const user = await store.createUser(newUser('ada@example.com'));
    await store.getUserById(user.id);
    withSqlite(path, (db) =>
      db.prepare('UPDATE token_auth_users SET is_active = 0 WHERE id = ?').run(user.id),
    );
    await nextTurn();
    await expect(store.getUserById(user.id)).resolves.toMatchObject({ isActive: false });
  });

  it('serves its own writes at once', async () => {
    const store = await open(await fileInTempDir());
    const user = await store.createUser(newUser('ada@example.com'));
    await store.getUserById(user.id);
    await store.updateUser(user.id, { username: 'Ada' });
    await expect(store.getUserById(user.id)).resolves.toMatchObject({ username: 'Ada' });
  });

  it('hands out copies: changing a returned user changes nothing stored', async () => {
    const store = await open(await fileInTempDir());
    const user = await store.createUser(newUser('ada@example.com'));
    const first = await store.getUserById(user.id);
    if (first) first.username = 'mutated';
    await expect(store.getUserById(user.id)).resolves.toMatchObject({ username: '' });
  });

  it('holds no file open once a store refuses to open (its -shm descriptor closed too)', async () => {
    const path = await fileInTempDir();
    // A database without the store's tables: without migrate, the store refuses it.
    withSqlite(path, (db) => db.pragma('journal_mode = WAL'));
    const openOnFile = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
        } catch {
          return false;
        }
      }).length;
    const before = openOnFile();
    await expect(createSqliteSqlStore({ path, purgeIntervalMs: 0 })).rejects.toThrow(
      /schema is at version 0/,
    );
    expect(openOnFile()).toBe(before);
  });

  it('is off with userCacheSize 0, and refuses a negative size', async () => {
    const path = await fileInTempDir();
    await expect(open(path, { userCacheSize: -1 })).rejects.toThrow(/userCacheSize/);
    const store = await open(path, { userCacheSize: 0 });
    const user = await store.createUser(newUser('ada@example.com'));
    await expect(store.getUserById(user.id)).resolves.toEqual(user);
  });
});

describe('createSqliteSqlStore on the application’s database handle', () => {
  it('uses the handle and leaves it open on close', async () => {
    const db = new Database(await fileInTempDir());
    cleanups.push(() => db.close());
    const store = await createSqliteSqlStore({ database: db, migrate: true, purgeIntervalMs: 0 });
    await store.createUser(newUser('ada@example.com'));
    await store.close();
    expect(db.prepare('SELECT email FROM token_auth_users').all()).toEqual([{ email: 'ada@example.com' }]);
  });

  it("turns the handle's foreign keys on", async () => {
    const db = new Database(await fileInTempDir());
    cleanups.push(() => db.close());
    db.pragma('foreign_keys = OFF');
    const store = await createSqliteSqlStore({ database: db, migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});

describe('createSqliteSqlStore options', () => {
  it.each<[string, Parameters<typeof createSqliteSqlStore>[0]]>([
    ['neither path nor database', {}],
    ['both path and database', { path: 'a.sqlite', database: new Database(':memory:') }],
    ['an empty path', { path: '' }],
    ['a negative busyTimeoutMs', { path: 'a.sqlite', busyTimeoutMs: -1 }],
    ['a purgeBatchSize of 0', { path: 'a.sqlite', purgeBatchSize: 0 }],
    ['a negative gcGraceMs', { path: 'a.sqlite', gcGraceMs: -1 }],
    ['a non-boolean migrate', { path: 'a.sqlite', migrate: 'yes' as unknown as boolean }],
  ])('refuses %s with a ConfigError', async (_, options) => {
    await expect(createSqliteSqlStore(options)).rejects.toBeInstanceOf(ConfigError);
  });
});
