import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryStore } from 'token-auth';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { dataDirOf, openStore, sqliteFileOf } from '../src/store.js';
import { makeTempDir } from './helpers/test-server.js';

const temp = makeTempDir();
afterAll(() => temp.remove());

describe('openStore', () => {
  it('creates the SQLite file and its folder on first use', async () => {
    const file = join(temp.dir, 'nested', 'auth.sqlite');
    const store = await openStore(`sqlite://${file}`);
    try {
      await store.getSettings();
      expect(existsSync(file)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('opens sqlite:// with the SQL store, which several processes may share', async () => {
    const store = await openStore(`sqlite://${join(temp.dir, 'sql.sqlite')}`);
    try {
      expect(store.constructor.name).toBe('SqlStore');
    } finally {
      await store.close();
    }
  });

  it.runIf(process.platform === 'linux')(
    'checkpoints a sqlite:// file from a second connection unless sqliteBackgroundCheckpoints is false',
    async () => {
      // Open file descriptors of this process on the database file itself: one per connection.
      const connections = (file: string) =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === file;
          } catch {
            return false;
          }
        }).length;
      const inline = join(temp.dir, 'inline.sqlite');
      const background = join(temp.dir, 'background.sqlite');
      const inlineStore = await openStore(`sqlite://${inline}`, { sqliteBackgroundCheckpoints: false });
      const backgroundStore = await openStore(`sqlite://${background}`);
      try {
        // The worker of the store opened second has its connection: the first store would too.
        await vi.waitFor(() => expect(connections(background)).toBe(2), { timeout: 10_000, interval: 10 });
        expect(connections(inline)).toBe(1);
      } finally {
        await inlineStore.close();
        await backgroundStore.close();
      }
    },
  );

  it('opens keyv+sqlite:// with the Keyv store', async () => {
    const store = await openStore(`keyv+sqlite://${join(temp.dir, 'keyv.sqlite')}`);
    try {
      expect(store.constructor.name).toBe('KeyvSqliteStore');
    } finally {
      await store.close();
    }
  });

  it('refuses to open a 0.1.0 Keyv file as sqlite://, naming keyv+sqlite://, and keeps its users', async () => {
    const file = join(temp.dir, 'old.sqlite');
    const keyv = await openStore(`keyv+sqlite://${file}`);
    await keyv.createUser({
      email: 'ada@example.com',
      emailKey: 'ada@example.com',
      username: '',
      passwordHash: 'x',
      isStaff: false,
      isActive: true,
      createdAt: 0,
      updatedAt: 0,
    });
    await keyv.close();
    await expect(openStore(`sqlite://${file}`)).rejects.toThrow(`DATABASE_URL=keyv+sqlite://${file}`);
    const reopened = await openStore(`keyv+sqlite://${file}`);
    try {
      expect(await reopened.getUserByEmailKey('ada@example.com')).toMatchObject({ id: 1 });
    } finally {
      await reopened.close();
    }
  });

  it('opens an in-memory store for memory://', async () => {
    const store = await openStore('memory://');
    expect(store).toBeInstanceOf(MemoryStore);
    await store.close();
  });

  it('rejects an unknown scheme, naming DATABASE_URL', async () => {
    await expect(openStore('mysql://localhost/auth')).rejects.toThrow(
      /^DATABASE_URL: unsupported scheme "mysql"/,
    );
  });
});

describe('sqliteFileOf and dataDirOf', () => {
  it('resolve a relative sqlite:// URL against the working directory', () => {
    expect(sqliteFileOf('sqlite://./data/auth.sqlite')).toBe(resolve('data/auth.sqlite'));
    expect(dataDirOf('sqlite://./data/auth.sqlite')).toBe(resolve('data'));
  });

  it('keep an absolute sqlite:/// path', () => {
    expect(sqliteFileOf('sqlite:///srv/auth.sqlite')).toBe('/srv/auth.sqlite');
  });

  it('name no folder for a memory store', () => {
    expect(dataDirOf('memory://')).toBeUndefined();
  });
});
