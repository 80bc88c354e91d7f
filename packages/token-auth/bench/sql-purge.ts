/**
 * Cost of purging expired rows with the SQL store: `rows` expired sessions (default 10^5),
 * each with one rotated-token entry, next to 10^4 live sessions, on a SQLite file and on
 * PostgreSQL. Reports the whole purge, the number of DELETE statements (batches) and their
 * mean duration, and the pauses of the event loop during the purge (on better-sqlite3 a batch
 * runs synchronously: a request arriving meanwhile waits for it; the maximum also catches the
 * WAL checkpoints and, on a busy machine, the scheduler).
 *
 *   npx tsx packages/token-auth/bench/sql-purge.ts [rows] [batchSize]
 *
 * PostgreSQL is a throwaway local server started here (default durability; BENCH_PG_DURABLE=0
 * turns fsync off).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createPostgresStore, createSqliteSqlStore, type SqlStore } from '../src/stores/sql/index.js';
import { newUser } from '../src/testing/fixtures.js';
import { startPostgresServer } from '../test/helpers/postgres-server.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1000);
const LIVE = 10_000;
const EXPIRED_AT = 60_000; // the expired sessions' expiry, epoch ms
const NOW = 10 * 60_000; // the purge's clock: well past expiry and the grace period
const LIVE_UNTIL = 100 * 365 * 86_400_000;

// Sessions s1…sN expired (one rotated token each, expired too), then LIVE live sessions.
const sqliteFill = `
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS + LIVE})
  INSERT INTO token_auth_sessions (id, user_id, head_hash, previous_hash, rotated_at, created_at, last_used_at, expires_at, user_agent)
  SELECT 's' || i, 1, printf('h%063d', i), printf('p%063d', i), 1000, 0, 1000,
         CASE WHEN i <= ${ROWS} THEN ${EXPIRED_AT} ELSE ${LIVE_UNTIL} END, '' FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
  INSERT INTO token_auth_rotated_tokens (hash, session_id, expires_at)
  SELECT printf('p%063d', i), 's' || i, ${EXPIRED_AT / 2} FROM n;`;

const postgresFill = `
  INSERT INTO token_auth_sessions (id, user_id, head_hash, previous_hash, rotated_at, created_at, last_used_at, expires_at, user_agent)
  SELECT 's' || i, 1, 'h' || lpad(i::text, 63, '0'), 'p' || lpad(i::text, 63, '0'), 1000, 0, 1000,
         CASE WHEN i <= ${ROWS} THEN ${EXPIRED_AT} ELSE ${LIVE_UNTIL} END, ''
    FROM generate_series(1, ${ROWS + LIVE}) AS i;
  INSERT INTO token_auth_rotated_tokens (hash, session_id, expires_at)
  SELECT 'p' || lpad(i::text, 63, '0'), 's' || i, ${EXPIRED_AT / 2} FROM generate_series(1, ${ROWS}) AS i;
  ANALYZE token_auth_sessions; ANALYZE token_auth_rotated_tokens;`;

async function measure(name: string, store: SqlStore, fill: () => Promise<void>): Promise<string> {
  const ada = await store.createUser(newUser('ada@example.com'));
  if (ada.id !== 1) throw new Error('the fill expects user 1');
  await fill();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const purged = await store.purgeExpired(NOW, { batchSize: BATCH });
  const ms = performance.now() - started;
  delay.disable();
  const live = (await store.listSessions(ada.id, NOW)).length;
  if (purged.sessions + purged.rotatedTokens !== 2 * ROWS || live !== LIVE) {
    throw new Error(`unexpected purge: ${JSON.stringify(purged)}, ${live} live sessions left`);
  }
  // Per table, full batches then the short one that ends its loop; the counters take one.
  const statements = 2 * (Math.floor(ROWS / BATCH) + 1) + 1;
  return (
    `| ${name} | ${(2 * ROWS).toLocaleString('en')} | ${Math.round(ms).toLocaleString('en')} ms | ` +
    `${Math.round(((2 * ROWS) / ms) * 1000).toLocaleString('en')} | ${statements} | ` +
    `${(ms / statements).toFixed(1)} ms | ${(delay.percentile(99) / 1e6).toFixed(1)} ms / ${(delay.max / 1e6).toFixed(1)} ms |`
  );
}

const dir = await mkdtemp(join(tmpdir(), 'token-auth-bench-purge-'));
const server = await startPostgresServer({ durable: process.env.BENCH_PG_DURABLE !== '0' });
const lines: string[] = [];
try {
  const path = join(dir, 'purge.sqlite');
  const sqlite = await createSqliteSqlStore({ path, migrate: true, purgeIntervalMs: 0 });
  lines.push(
    await measure('SQLite file', sqlite, async () => {
      const db = new Database(path, { timeout: 5000 });
      db.exec(sqliteFill);
      db.close();
    }),
  );
  await sqlite.close();

  const postgres = await createPostgresStore({
    connectionString: server.url(),
    migrate: true,
    purgeIntervalMs: 0,
  });
  lines.push(
    await measure('PostgreSQL', postgres, async () => {
      const client = new pg.Client({ connectionString: server.url() });
      await client.connect();
      await client.query(postgresFill);
      await client.end();
    }),
  );
  await postgres.close();
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

console.log(
  `${ROWS.toLocaleString('en')} expired sessions with one rotated token each, ${LIVE.toLocaleString('en')} live sessions, batches of ${BATCH}`,
);
console.log('');
console.log(
  '| backend | rows deleted | purge time | rows/s | DELETE statements | mean per statement | event-loop pause p99 / max |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const line of lines) console.log(line);
