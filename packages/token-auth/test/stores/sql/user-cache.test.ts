import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endOfTurn } from '../../../src/lib/turn.js';
import type { UserRecord } from '../../../src/stores/port.js';
import { UserCache } from '../../../src/stores/sql/user-cache.js';
import { tempDir } from './use-databases.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ADA: UserRecord = {
  id: 1,
  email: 'ada@example.com',
  emailKey: 'ada@example.com',
  username: 'Ada',
  passwordHash: 'x',
  isStaff: false,
  isActive: true,
  createdAt: 0,
  updatedAt: 0,
};

/** Two connections to one file in the given journal mode; the cache's statements are logged. */
async function connections(journalMode: 'wal' | 'delete') {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  const path = join(dir, 'cache.sqlite');
  const log: string[] = [];
  const own = new Database(path, { verbose: (text) => log.push(String(text)) });
  own.pragma(`journal_mode = ${journalMode}`);
  own.exec('CREATE TABLE t (k INTEGER PRIMARY KEY)');
  const other = new Database(path);
  cleanups.push(
    () => own.close(),
    () => other.close(),
  );
  const cache = new UserCache(own, 10);
  cleanups.push(() => cache.close());
  const checks = () => log.filter((text) => text === 'PRAGMA data_version').length;
  return { own, other, cache, checks };
}

/**
 * Lets the event loop end its turn (the cache then checks again at its next look), on the
 * runtime's own setImmediate, whatever fake timers are installed.
 */
const nextTurn = endOfTurn;

/** Looks Ada up once in each of `turns` turns of the event loop, finding her each time. */
async function findAdaOverTurns(cache: UserCache, turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await nextTurn();
    expect(cache.get(ADA.id)).toEqual(ADA);
  }
}

/** The first look fills nothing (it learns the version); the user is then kept. */
function primed(cache: UserCache): void {
  expect(cache.get(ADA.id)).toBeUndefined();
  cache.set(ADA);
}

describe('UserCache', () => {
  it('skips the data_version statement while the WAL-index header has not changed', async () => {
    const { cache, checks } = await connections('wal');
    primed(cache);
    const before = checks();
    await findAdaOverTurns(cache, 5);
    // The priming look read the header before its check; every later one matches it.
    expect(checks() - before).toBe(0);
  });

  it("drops every user once another connection commits, and checks again after this connection's own", async () => {
    const { own, other, cache, checks } = await connections('wal');
    primed(cache);
    await nextTurn();
    cache.get(ADA.id);
    other.prepare('INSERT INTO t (k) VALUES (1)').run();
    await nextTurn();
    expect(cache.get(ADA.id)).toBeUndefined();
    cache.set(ADA);
    // A commit of this connection changes the header too, but not data_version: the user stays.
    own.prepare('INSERT INTO t (k) VALUES (2)').run();
    await nextTurn();
    const before = checks();
    expect(cache.get(ADA.id)).toEqual(ADA);
    expect(checks() - before).toBe(1);
  });

  it('sees commits of another connection made after its last fast look', async () => {
    const { other, cache } = await connections('wal');
    primed(cache);
    await nextTurn();
    expect(cache.get(ADA.id)).toEqual(ADA);
    // Every later look compares with the header read before the last check, not with the one
    // the last fast look read: two commits since still change it.
    other.prepare('INSERT INTO t (k) VALUES (1)').run();
    other.prepare('INSERT INTO t (k) VALUES (2)').run();
    await nextTurn();
    expect(cache.get(ADA.id)).toBeUndefined();
  });

  it('checks once per turn of the event loop: later looks of the turn rely on that check', async () => {
    const { other, cache, checks } = await connections('wal');
    primed(cache);
    await nextTurn();
    const before = checks();
    expect(cache.get(ADA.id)).toEqual(ADA);
    other.prepare('INSERT INTO t (k) VALUES (1)').run();
    // Same turn: no header read, no statement, the user as of the turn's check.
    expect(cache.get(ADA.id)).toEqual(ADA);
    expect(checks() - before).toBe(0);
    // The next turn checks again and sees the commit.
    await nextTurn();
    expect(cache.get(ADA.id)).toBeUndefined();
    expect(checks() - before).toBe(1);
  });

  it("ends a turn's check on the runtime's own setImmediate, even under fake timers", async () => {
    const { other, cache } = await connections('wal');
    primed(cache);
    vi.useFakeTimers();
    try {
      await nextTurn();
      expect(cache.get(ADA.id)).toEqual(ADA);
      other.prepare('INSERT INTO t (k) VALUES (1)').run();
      await nextTurn();
      expect(cache.get(ADA.id)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('trusts no header whose data_version check failed: the next look checks again', async () => {
    const { own, other } = await connections('wal');
    let failNext = false;
    // The store's connection, except that its data_version statement fails once on demand.
    const failing = new Proxy(own, {
      get(target, key) {
        if (key === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql);
            if (sql !== 'PRAGMA data_version') return statement;
            const plucked = statement.pluck();
            return {
              pluck: () => ({
                get: () => {
                  if (!failNext) return plucked.get();
                  failNext = false;
                  throw new Error('SQLITE_BUSY: database is locked');
                },
              }),
            };
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const cache = new UserCache(failing, 10);
    cleanups.push(() => cache.close());
    primed(cache);
    await nextTurn();
    other.prepare('INSERT INTO t (k) VALUES (1)').run();
    await nextTurn();
    failNext = true;
    expect(() => cache.get(ADA.id)).toThrow(/SQLITE_BUSY/);
    // Same turn, same header: only a check that ran can say whether Ada is still current.
    expect(cache.get(ADA.id)).toBeUndefined();
  });

  it.each([
    ['without a WAL (no -shm file to read)', 'delete', false],
    ['after close()', 'wal', true],
  ] as const)('checks data_version on every look %s', async (_, journalMode, close) => {
    const { other, cache, checks } = await connections(journalMode);
    if (close) cache.close();
    primed(cache);
    const before = checks();
    await findAdaOverTurns(cache, 2);
    expect(checks() - before).toBe(2);
    other.prepare('INSERT INTO t (k) VALUES (1)').run();
    await nextTurn();
    expect(cache.get(ADA.id)).toBeUndefined();
  });
});
