import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlStore } from '../../../src/stores/sql/index.js';
import {
  END_SESSION,
  END_USER_SESSIONS,
  END_USER_SESSIONS_EXCEPT,
  FIND_HASH,
  HIT,
  KEEP_ROTATED_HEAD,
  LIST_SESSIONS,
  MOVE_HEAD,
  PEEK_HITS,
  PURGE_COUNTERS,
  PURGE_ROTATED_TOKENS,
  PURGE_SESSIONS,
  RESET_HITS,
  ROTATE_POSTGRES,
  type Statement,
  UPDATE_USER,
  USER_BY_EMAIL_KEY,
  USER_BY_ID,
} from '../../../src/stores/sql/statements.js';
import { tempDir, usePostgres } from './use-databases.js';

const postgres = usePostgres();

/** A plausible value for each parameter name the statements use. */
const VALUES: Record<string, unknown> = {
  id: 1,
  userId: 1,
  emailKey: 'ada@example.com',
  presented: 'a'.repeat(64),
  nextHash: 'b'.repeat(64),
  nextExpiresAt: 2_000_000,
  now: 1_000_000,
  except: 'session',
  key: 'login:ada',
  resetAt: 1_060_000,
  before: 1_000_000,
  limit: 1000,
  email: null,
  username: null,
  passwordHash: null,
  isStaff: null,
  isActive: null,
  updatedAt: null,
};

// Each statement, the indexes each dialect's plan must use.
const PLANS: [Statement, postgres: string[], sqlite: string[]][] = [
  [USER_BY_ID, ['token_auth_users_pkey'], ['INTEGER PRIMARY KEY']],
  [USER_BY_EMAIL_KEY, ['token_auth_users_email_key_unique'], ['token_auth_users_email_key_unique']],
  [UPDATE_USER, ['token_auth_users_pkey'], ['INTEGER PRIMARY KEY']],
  [ROTATE_POSTGRES, ['token_auth_sessions_head_hash_unique', 'token_auth_sessions_pkey'], []],
  [KEEP_ROTATED_HEAD, [], ['token_auth_sessions_head_hash_unique']],
  [MOVE_HEAD, [], ['token_auth_sessions_head_hash_unique']],
  [
    FIND_HASH,
    ['token_auth_sessions_head_hash_unique', 'token_auth_rotated_tokens_pkey', 'token_auth_sessions_pkey'],
    ['token_auth_sessions_head_hash_unique', 'PRIMARY KEY', 'token_auth_sessions_id_unique'],
  ],
  [END_SESSION, ['token_auth_sessions_pkey'], ['token_auth_sessions_id_unique']],
  [END_USER_SESSIONS, ['token_auth_sessions_user_id'], ['token_auth_sessions_user_id']],
  [END_USER_SESSIONS_EXCEPT, ['token_auth_sessions_user_id'], ['token_auth_sessions_user_id']],
  [LIST_SESSIONS, ['token_auth_sessions_user_id'], ['token_auth_sessions_user_id']],
  [HIT, ['token_auth_throttle_pkey'], []],
  [PEEK_HITS, ['token_auth_throttle_pkey'], ['PRIMARY KEY']],
  [RESET_HITS, ['token_auth_throttle_pkey'], ['PRIMARY KEY']],
  [PURGE_ROTATED_TOKENS, ['token_auth_rotated_tokens_expires_at'], ['token_auth_rotated_tokens_expires_at']],
  [PURGE_SESSIONS, ['token_auth_sessions_expires_at'], ['token_auth_sessions_expires_at']],
  [PURGE_COUNTERS, ['token_auth_throttle_reset_at'], ['token_auth_throttle_reset_at']],
];

const values = (names: readonly string[], sqlite: boolean) =>
  names.map((name) => {
    if (!(name in VALUES)) throw new Error(`no value for :${name}`);
    const value = VALUES[name];
    return sqlite && typeof value === 'boolean' ? Number(value) : value;
  });

let sqlite: Database.Database;
let client: pg.PoolClient;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  const path = join(dir, 'explain.sqlite');
  const schema = await postgres.schema();
  for (const url of [`sqlite://${path}`, schema.url]) {
    const store = await createSqlStore({ url, migrate: true, purgeIntervalMs: 0 });
    await store.close();
  }
  sqlite = new Database(path);
  cleanups.push(() => sqlite.close());
  client = await postgres.pool(schema, 1).connect();
  cleanups.push(() => client.release());
  // With sequential scans priced out, the plan shows whether an index can serve the query
  // at all (an empty table would otherwise be scanned, whatever its indexes).
  await client.query('SET enable_seqscan = off');
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.each(PLANS.filter(([, indexes]) => indexes.length > 0))('on PostgreSQL, EXPLAIN', (sql, indexes) => {
  it(`of "${sql.name}" uses ${indexes.join(', ')} and no sequential scan`, async () => {
    const { rows } = await client.query(`EXPLAIN ${sql.postgres.text}`, values(sql.postgres.names, false));
    const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    for (const index of indexes)
      expect(plan).toMatch(new RegExp(`Index.*${index}|Arbiter Indexes: ${index}`));
    expect(plan).not.toMatch(/Seq Scan/);
  });
});

describe.each(PLANS.filter(([, , indexes]) => indexes.length > 0))(
  'on SQLite, EXPLAIN QUERY PLAN',
  (sql, _, indexes) => {
    it(`of "${sql.name}" uses ${indexes.join(', ')} and scans no table`, () => {
      const rows = sqlite
        .prepare(`EXPLAIN QUERY PLAN ${sql.sqlite.text}`)
        .all(...values(sql.sqlite.names, true));
      const plan = (rows as { detail: string }[]).map((row) => row.detail).join('\n');
      for (const index of indexes) expect(plan).toContain(index);
      expect(plan).not.toMatch(/\bSCAN (?!CONSTANT)/);
    });
  },
);
