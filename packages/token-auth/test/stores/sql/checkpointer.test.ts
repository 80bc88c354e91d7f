import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { WalCheckpointer } from '../../../src/stores/sql/checkpointer.js';
import { openSqliteFile } from '../../../src/stores/sql/create.js';
import { createSqliteSqlStore } from '../../../src/stores/sql/index.js';
import { newUser } from '../fixtures.js';
import { tempDir } from './use-databases.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');
const PAGE = 4096;
// A WAL frame is a page and its 24-byte header; the file starts with a 32-byte header.
const walFrames = (path: string) =>
  existsSync(`${path}-wal`) ? Math.max(0, (statSync(`${path}-wal`).size - 32) / (PAGE + 24)) : 0;

async function fileInTempDir(): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  return join(dir, 'auth.sqlite');
}

/** A WAL-mode file with one table, as the store opens it. */
async function walDatabase(): Promise<{ path: string; db: Database.Database }> {
  const path = await fileInTempDir();
  const db = openSqliteFile(Database, path, 5000);
  cleanups.push(() => db.open && db.close());
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  return { path, db };
}

/** Inserts rows of about one page each: `pages` new WAL frames and then some (the B-tree). */
function writePages(db: Database.Database, pages: number): void {
  const insert = db.prepare('INSERT INTO t (payload) VALUES (?)');
  for (let i = 0; i < pages; i++) insert.run('x'.repeat(PAGE - 200));
}

describe('WalCheckpointer', () => {
  it("turns the connection's own checkpoints off, and checkpoints the file from its worker", async () => {
    const { path, db } = await walDatabase();
    const reports: number[] = [];
    const checkpointer = new WalCheckpointer(db, DRIVER, {
      intervalMs: 10,
      onReport: (n) => reports.push(n),
    });
    cleanups.push(() => checkpointer.close());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const sizeBefore = statSync(path).size;
    writePages(db, 50);
    // Only a checkpoint moves pages from the WAL into the database file.
    await vi.waitFor(
      () => {
        expect(statSync(path).size).toBeGreaterThan(sizeBefore + 40 * PAGE);
        expect(reports.length).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 10 },
    );
  });

  it('starts the WAL over again and again under a write load that never pauses for the worker', async () => {
    const { path, db } = await walDatabase();
    const restartFrames = 1024;
    let reports = 0;
    let restarts = 0;
    let last = 0;
    const checkpointer = new WalCheckpointer(db, DRIVER, {
      intervalMs: 20,
      restartFrames,
      onReport: (walFrames) => {
        reports++;
        // A smaller WAL than at the last report: it started over from its beginning.
        if (walFrames < last) restarts++;
        last = walFrames;
      },
    });
    cleanups.push(() => checkpointer.close());
    const yieldToReports = () => new Promise((resolve) => setImmediate(resolve));
    // Once the worker runs (its first report), commits go on while it checkpoints, so that its
    // checkpoints never complete, with a turn of the event loop between commits for its
    // reports, until 20 times the threshold is written: about 62 000 frames, and without the
    // store's own checkpoint the WAL ends that large, never started over. How far past the
    // threshold it gets before each restart depends on how soon the worker reports, which a
    // busy machine delays (up to 17 000 frames seen with several test files on two cores): so
    // the test counts restarts, and bounds the size only loosely.
    writePages(db, 1);
    while (reports === 0) await yieldToReports();
    let written = 0;
    while (written < 20 * restartFrames) {
      writePages(db, 2);
      written += 2;
      await yieldToReports();
    }
    expect(reports).toBeGreaterThan(10);
    expect(restarts).toBeGreaterThanOrEqual(2);
    expect(walFrames(path)).toBeLessThan(30_000);
  });

  it('hands checkpoints back to the connection when the worker cannot start', async () => {
    const { db } = await walDatabase();
    const checkpointer = new WalCheckpointer(db, join(await fileInTempDir(), 'no-such-driver.js'));
    cleanups.push(() => checkpointer.close());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000), {
      timeout: 10_000,
      interval: 10,
    });
  });

  it('leaves the checkpoints to the connection when no worker thread can be made', async () => {
    const { db } = await walDatabase();
    vi.resetModules();
    vi.doMock('node:worker_threads', () => ({
      Worker: class {
        constructor() {
          throw Object.assign(new Error('no worker threads here'), { code: 'ERR_ACCESS_DENIED' });
        }
      },
    }));
    try {
      const { WalCheckpointer: Mocked } = await import('../../../src/stores/sql/checkpointer.js');
      const checkpointer = new Mocked(db, DRIVER);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await expect(checkpointer.close()).resolves.toBeUndefined();
    } finally {
      vi.doUnmock('node:worker_threads');
      vi.resetModules();
    }
  });

  it("closes the worker's connection first, so that closing the store's removes the WAL", async () => {
    const { path, db } = await walDatabase();
    const checkpointer = new WalCheckpointer(db, DRIVER);
    writePages(db, 10);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await checkpointer.close();
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});

describe('createSqliteSqlStore: backgroundCheckpoints', () => {
  it('checkpoints a file store in the background by default, and closes cleanly', async () => {
    const path = await fileInTempDir();
    const store = await createSqliteSqlStore({ path, migrate: true, purgeIntervalMs: 0 });
    const sizeBefore = statSync(path).size;
    for (let i = 0; i < 200; i++) await store.createUser(newUser(`user${i}@example.com`));
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(sizeBefore), {
      timeout: 10_000,
      interval: 10,
    });
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('leaves checkpoints to SQLite when false', async () => {
    const path = await fileInTempDir();
    const store = await createSqliteSqlStore({
      path,
      migrate: true,
      purgeIntervalMs: 0,
      backgroundCheckpoints: false,
    });
    await store.createUser(newUser('ada@example.com'));
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a value that is not a boolean, naming the option', async () => {
    const path = await fileInTempDir();
    await expect(
      createSqliteSqlStore({ path, backgroundCheckpoints: 'yes' as unknown as boolean }),
    ).rejects.toThrow(new ConfigError('createSqliteSqlStore: backgroundCheckpoints must be a boolean'));
    expect(existsSync(path)).toBe(false);
  });
});
