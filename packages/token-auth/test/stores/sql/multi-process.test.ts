import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlStore, type SqlStore } from '../../../src/stores/sql/index.js';
import { newSession, newUser } from '../fixtures.js';
import { race } from './processes.js';
import { tempDir, usePostgres } from './use-databases.js';

const PROCESSES = 6;
const postgres = usePostgres();

// One store per dialect, opened by this process; the racing processes open their own.
const targets: Record<string, { url: string; store: SqlStore }> = {};
const removals: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const { dir, remove } = await tempDir();
  removals.push(remove);
  const sqliteUrl = `sqlite://${join(dir, 'shared.sqlite')}`;
  const schema = await postgres.schema();
  for (const [name, url] of [
    ['a SQLite file', sqliteUrl],
    ['PostgreSQL', schema.url],
  ] as const) {
    targets[name] = { url, store: await createSqlStore({ url, migrate: true, purgeIntervalMs: 0 }) };
  }
}, 60_000);

afterAll(async () => {
  for (const { store } of Object.values(targets)) await store.close();
  for (const remove of removals) await remove();
});

describe.each(['a SQLite file', 'PostgreSQL'])('the SQL store on %s, shared by several processes', (name) => {
  it(`of ${PROCESSES} processes rotating one head at once, exactly one rotates and the others see parent`, async () => {
    const { url, store } = targets[name] as { url: string; store: SqlStore };
    const ada = await store.createUser(newUser(`rotate-${name.length}@example.com`));
    const now = Date.now();
    const session = newSession({ userId: ada.id, createdAt: now });
    await store.startSession(session);
    const outcomes = await race(
      Array.from({ length: PROCESSES }, () => ({
        url,
        call: 'rotate' as const,
        hash: session.headHash,
        now: now + 1,
      })),
    );
    expect(outcomes.sort()).toEqual(['rotated', ...Array(PROCESSES - 1).fill('parent')].sort());
  }, 60_000);

  it(`of ${PROCESSES} processes registering one email at once, exactly one succeeds`, async () => {
    const { url } = targets[name] as { url: string; store: SqlStore };
    const email = `race-${name.length}@example.com`;
    const outcomes = await race(
      Array.from({ length: PROCESSES }, () => ({ url, call: 'createUser' as const, email })),
    );
    expect(outcomes.sort()).toEqual(['created', ...Array(PROCESSES - 1).fill('email_taken')].sort());
  }, 60_000);
});
