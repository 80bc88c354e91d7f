import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../../src/errors.js';
import {
  createKeyvSqliteStore,
  type KeyvSqliteStore,
  type KeyvSqliteStoreOptions,
} from '../../../src/stores/keyv/index.js';
import { makeTempDir, newSession, newUser } from '../fixtures.js';

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

describe('createKeyvSqliteStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const stores: KeyvSqliteStore[] = [];

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
  });

  afterEach(async () => {
    await Promise.allSettled(stores.splice(0).map((store) => store.close()));
    await remove();
  });

  async function open(options: KeyvSqliteStoreOptions): Promise<KeyvSqliteStore> {
    const store = await createKeyvSqliteStore(options);
    stores.push(store);
    return store;
  }

  it.each([
    ['journal_mode', {}, 'wal'],
    ['synchronous', {}, 1], // NORMAL
    ['busy_timeout', {}, 5000],
    ['busy_timeout', { busyTimeoutMs: 1234 }, 1234],
  ])('sets %s on its connection (options %j) to %j', async (pragma, options, value) => {
    const store = await open({ path: join(dir, 'auth.sqlite'), ...options });
    expect(await store.readPragma(pragma)).toBe(value);
  });

  // Without the lock, SQLite keeps a -shm file too: all three are checked.
  it.each([
    ['the database file', ''],
    ['its -wal file', '-wal'],
    ['its -shm file', '-shm'],
  ])('creates %s with mode 0600', async (_, suffix) => {
    const file = join(dir, 'auth.sqlite');
    const store = await open({ path: file, exclusive: false });
    await store.createUser(newUser('ada@example.com'));
    expect(statSync(`${file}${suffix}`).mode & 0o777).toBe(0o600);
  });

  it('creates the missing parent directories of the file', async () => {
    const file = join(dir, 'nested', 'deeper', 'auth.sqlite');
    await open({ path: file });
    expect(existsSync(file)).toBe(true);
  });

  it('opens a sqlite:// uri', async () => {
    const file = join(dir, 'by-uri.sqlite');
    const store = await open({ uri: `sqlite://${file}` });
    await store.createUser(newUser('ada@example.com'));
    expect(await store.adapter.query("SELECT key FROM keyv WHERE key LIKE '%:user:1'")).toHaveLength(1);
  });

  it('releases the database file on close and checkpoints the write-ahead log away', async () => {
    const file = join(dir, 'auth.sqlite');
    const store = await createKeyvSqliteStore({ path: file });
    await store.createUser(newUser('ada@example.com'));
    expect(openFiles()).toContain(file);
    await store.close();
    expect(openFiles().filter((path) => path.startsWith(file))).toEqual([]);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('holds the file exclusively: a second store on it fails with a StoreError saying why', async () => {
    const file = join(dir, 'auth.sqlite');
    await open({ path: file });
    const error = await createKeyvSqliteStore({ path: file }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/in use by another process/);
  });

  it('lets another store open the file once the first is closed', async () => {
    const file = join(dir, 'auth.sqlite');
    const first = await createKeyvSqliteStore({ path: file });
    await first.createUser(newUser('ada@example.com'));
    await first.close();
    const second = await open({ path: file });
    await expect(second.getUserByEmailKey('ada@example.com')).resolves.toMatchObject({ id: 1 });
  });

  it('purges only its own rows: expired ones and token entries of ended sessions', async () => {
    const file = join(dir, 'auth.sqlite');
    // Two namespaces in one file, from one process: the exclusive lock is off for this.
    const mine = await open({ path: file, exclusive: false, gcGraceMs: 0 });
    const theirs = await open({ path: file, exclusive: false, gcGraceMs: 0, namespace: 'other' });
    const now = Date.now();
    const ended = newSession({ userId: 1, createdAt: now, expiresAt: now + 60_000 });
    await mine.startSession(ended);
    await mine.endSession(1, ended.id);
    await mine.hit('login:ada', 1_000, now);
    await theirs.hit('login:ada', 1_000, now);
    await mine.createUser(newUser('ada@example.com'));
    expect(await mine.sweep(now + 1_000)).toBe(2);
    expect(await theirs.peekHits('login:ada', now)).toEqual({ count: 1, resetAt: now + 1_000 });
    expect(await mine.getUserByEmailKey('ada@example.com')).toBeDefined();
  });

  it('fails with a StoreError when the file cannot be opened', async () => {
    const occupied = join(dir, 'a-directory');
    await mkdir(occupied);
    await expect(createKeyvSqliteStore({ path: occupied })).rejects.toBeInstanceOf(StoreError);
  });

  it.each<[string, KeyvSqliteStoreOptions, RegExp]>([
    ['both path and uri', { path: 'a.sqlite', uri: 'sqlite://b.sqlite' }, /exactly one of path and uri/],
    ['neither path nor uri', {}, /exactly one of path and uri/],
    ['a uri that is not sqlite://', { uri: 'postgres://localhost/db' }, /uri must be a sqlite/],
    ['a negative busyTimeoutMs', { path: 'a.sqlite', busyTimeoutMs: -1 }, /busyTimeoutMs/],
  ])('rejects %s with a ConfigError saying so', async (_, options, message) => {
    const error = await createKeyvSqliteStore(options).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a pragma name that is not a plain identifier', async () => {
    const store = await open({ path: join(dir, 'auth.sqlite') });
    await expect(store.readPragma('journal_mode; DROP TABLE keyv')).rejects.toThrow(/plain pragma name/);
  });
});

describe('createKeyvSqliteStore without its driver', () => {
  const entry = fileURLToPath(new URL('../../../src/stores/keyv/index.ts', import.meta.url));

  /** Runs the factory in a Node process whose module resolution cannot find `hidden`. */
  async function openWithout(hidden: string): Promise<string> {
    const hook = `export async function resolve(s, c, next) {
      if (s === ${JSON.stringify(hidden)}) throw Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
      return next(s, c);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const script = `const { createKeyvSqliteStore } = await import(${JSON.stringify(entry)});
      await createKeyvSqliteStore({ path: ':memory:' }).catch((e) => console.log(e.name + ': ' + e.message));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      '--input-type=module',
      '-e',
      script,
    ]);
    return stdout.trim();
  }

  it.each(['keyv', '@keyv/sqlite'])(
    'fails with a ConfigError naming %s and how to install it',
    async (name) => {
      expect(await openWithout(name)).toBe(
        `ConfigError: token-auth/keyv needs the package "${name}": npm install ${name}`,
      );
    },
  );
});
