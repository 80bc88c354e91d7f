import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NextHead } from '../../../src/stores/port.js';
import { BetterSqliteDriver } from '../../../src/stores/sql/drivers.js';
import { createSqliteSqlStore } from '../../../src/stores/sql/index.js';
import { type Plan, step } from '../../../src/stores/sql/plan.js';
import { statement } from '../../../src/stores/sql/statements.js';
import { MINUTE_MS, newHead, newSession, newUser } from '../fixtures.js';
import { tempDir } from './use-databases.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A SQLite file whose statements are logged (better-sqlite3's `verbose`). */
async function loggedDatabase(): Promise<{ database: Database.Database; log: string[] }> {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  const log: string[] = [];
  const database = new Database(join(dir, 'group.sqlite'), { verbose: (text) => log.push(String(text)) });
  cleanups.push(() => database.close());
  return { database, log };
}

const begins = (log: readonly string[]) => log.filter((text) => text === 'BEGIN IMMEDIATE').length;

const CREATE = statement('create t', 'CREATE TABLE t (k INTEGER PRIMARY KEY)');
const INSERT = statement('insert t', 'INSERT INTO t (k) VALUES (:k)');
const ROLLBACK = statement('rollback', 'ROLLBACK');
const INVALID = statement('invalid', 'INSERT INTO t (k) VALUES (1, 2)');

/** A plan that inserts each key in turn, in one transaction. */
function inserting(...keys: number[]): Plan<string> {
  return {
    transaction: true,
    *start() {
      for (const k of keys) yield step(INSERT, { k });
      return `inserted ${keys.join(',')}`;
    },
  };
}

const keysIn = (database: Database.Database) =>
  database.prepare<[], number>('SELECT k FROM t ORDER BY k').pluck().all();

describe('BetterSqliteDriver.runGrouped (group commit)', () => {
  async function openDriver() {
    const { database, log } = await loggedDatabase();
    const driver = new BetterSqliteDriver(database, false);
    driver.run({
      transaction: false,
      *start() {
        yield step(CREATE);
      },
    });
    return { database, log, driver };
  }

  it('commits the plans made in one turn of the event loop in one transaction, in their order', async () => {
    const { database, log, driver } = await openDriver();
    const before = begins(log);
    const answers = await Promise.all(
      [inserting(1), inserting(2, 3), inserting(4)].map((p) => driver.runGrouped(p)),
    );
    expect(answers).toEqual(['inserted 1', 'inserted 2,3', 'inserted 4']);
    expect(begins(log) - before).toBe(1);
    expect(keysIn(database)).toEqual([1, 2, 3, 4]);
    // Plans of the next turn make a transaction of their own.
    await driver.runGrouped(inserting(5));
    expect(begins(log) - before).toBe(2);
  });

  it("commits on the runtime's own setImmediate, even under a test's fake timers", async () => {
    const { database, driver } = await openDriver();
    vi.useFakeTimers();
    try {
      await expect(driver.runGrouped(inserting(1))).resolves.toBe('inserted 1');
    } finally {
      vi.useRealTimers();
    }
    expect(keysIn(database)).toEqual([1]);
  });

  it('rolls a failing plan back alone: its caller gets the error, the others commit', async () => {
    const { database, driver } = await openDriver();
    const outcomes = await Promise.allSettled([
      driver.runGrouped(inserting(1)),
      // 2 goes in, then the duplicate key fails: the savepoint takes 2 out again.
      driver.runGrouped(inserting(2, 1)),
      driver.runGrouped(inserting(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    expect(keysIn(database)).toEqual([1, 3]);
  });

  it('stops the group when the transaction itself is gone: nothing of it stands, every caller gets an error', async () => {
    const { database, driver } = await openDriver();
    // The second plan ends the group's transaction (as SQLite does after SQLITE_FULL or an I/O
    // error), then fails: no later plan may run outside the group's transaction.
    const breaking: Plan<void> = {
      transaction: true,
      *start() {
        yield step(ROLLBACK);
        yield step(INVALID);
      },
    };
    const outcomes = await Promise.allSettled([
      driver.runGrouped(inserting(1)),
      driver.runGrouped(breaking),
      driver.runGrouped(inserting(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(keysIn(database)).toEqual([]);
    expect(database.inTransaction).toBe(false);
  });

  it('commits the plans still waiting when it closes', async () => {
    const { database, driver } = await openDriver();
    const waiting = driver.runGrouped(inserting(7));
    await driver.close();
    await expect(waiting).resolves.toBe('inserted 7');
    expect(keysIn(database)).toEqual([7]);
  });
});

describe('SQL store on SQLite: rotations share their commit', () => {
  it('rotates ten sessions presented in one turn in one transaction, each exactly as alone', async () => {
    const { database, log } = await loggedDatabase();
    const store = await createSqliteSqlStore({ database, migrate: true, purgeIntervalMs: 0 });
    cleanups.push(() => store.close());
    const now = Date.now();
    const user = await store.createUser(newUser('group@example.com', { createdAt: now, updatedAt: now }));
    const sessions = Array.from({ length: 10 }, () =>
      newSession({ userId: user.id, createdAt: now, expiresAt: now + 60 * MINUTE_MS }),
    );
    for (const session of sessions) await store.startSession(session);
    const before = begins(log);
    const heads = sessions.map(() => newHead(now + 120 * MINUTE_MS));
    // Each session twice: the second presentation of a head is its parent once the first rotated.
    const results = await Promise.all(
      [...sessions, ...sessions].map((session, i) =>
        store.rotate(session.headHash, heads[i % sessions.length] as NextHead, now + 1),
      ),
    );
    expect(begins(log) - before).toBe(1);
    expect(results.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill('rotated'));
    expect(results.slice(10).map((r) => r.status)).toEqual(Array(10).fill('parent'));
    const listed = await store.listSessions(user.id, now + 2);
    expect(listed.map((s) => s.headHash).sort()).toEqual(heads.map((h) => h.hash).sort());
  });
});
