import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryStore } from 'token-auth';
import { afterAll, describe, expect, it } from 'vitest';
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
