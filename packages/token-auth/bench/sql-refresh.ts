/**
 * Throughput of the SQL store's hot calls, `rotate` (one refresh) and `getUserById`, on a
 * SQLite file and on PostgreSQL, one call at a time and with many in flight. Printed as a
 * Markdown table.
 *
 *   npx tsx packages/token-auth/bench/sql-refresh.ts [concurrency]
 *
 * Backends:
 * - SQLite file, createSqliteSqlStore: better-sqlite3 directly (prepared statements cached,
 *   one synchronous BEGIN IMMEDIATE transaction per rotation), with its WAL checkpoints in a
 *   worker thread (the default) and with SQLite's own checkpoints (`backgroundCheckpoints: false`);
 * - SQLite file, through Kysely: the same file and SQL through createSqlStore({ db }) on a
 *   Kysely SqliteDialect (what an application sharing its own Kysely instance gets);
 * - PostgreSQL: createPostgresStore on a throwaway local server (started here, default
 *   durability: fsync and synchronous_commit on; BENCH_PG_DURABLE=0 turns them off), pool of
 *   `concurrency` connections.
 *
 * Each row runs for BENCH_MS (default 2000) after a warm-up. Sequential rotate: one session,
 * each call presenting the head the previous one made. Concurrent rotate: `concurrency`
 * sessions, each rotated in its own loop. getUserById: one user read again and again.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { openSqliteFile } from '../src/stores/sql/create.js';
import {
  createPostgresStore,
  createSqliteSqlStore,
  createSqlStore,
  type SqlStore,
} from '../src/stores/sql/index.js';
import { newHead, newSession, newUser } from '../src/testing/fixtures.js';
import { startPostgresServer } from '../test/helpers/postgres-server.js';

const CONCURRENCY = Number(process.argv[2] ?? 32);
const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const WARMUP_MS = Math.min(500, RUN_MS / 4);
const LIFETIME_MS = 30 * 24 * 3_600_000;

interface Row {
  backend: string;
  operation: string;
  perSecond: number;
  meanMicros: number;
}
const rows: Row[] = [];

/** Runs `loops` side by side, each calling its operation back to back, for RUN_MS. */
async function measure(backend: string, operation: string, loops: (() => Promise<unknown>)[]): Promise<void> {
  const run = async (until: number) => {
    let calls = 0;
    await Promise.all(
      loops.map(async (call) => {
        while (performance.now() < until) {
          await call();
          calls++;
        }
      }),
    );
    return calls;
  };
  await run(performance.now() + WARMUP_MS);
  const started = performance.now();
  const calls = await run(started + RUN_MS);
  const seconds = (performance.now() - started) / 1000;
  rows.push({
    backend,
    operation,
    perSecond: calls / seconds,
    meanMicros: ((seconds * 1e6) / calls) * loops.length,
  });
}

/** A loop that rotates one session: each call presents the head the previous one made. */
async function rotatingLoop(store: SqlStore, userId: number): Promise<() => Promise<unknown>> {
  const now = Date.now();
  const session = newSession({ userId, createdAt: now, expiresAt: now + LIFETIME_MS });
  await store.startSession(session);
  let head = session.headHash;
  return async () => {
    const next = newHead(Date.now() + LIFETIME_MS);
    const result = await store.rotate(head, next, Date.now());
    if (result.status !== 'rotated') throw new Error(`rotate answered ${result.status}`);
    head = next.hash;
  };
}

async function bench(backend: string, store: SqlStore): Promise<void> {
  const ada = await store.createUser(newUser(`bench-${rows.length}@example.com`));
  const read = async () => {
    if (!(await store.getUserById(ada.id))) throw new Error('user missing');
  };
  await measure(backend, 'rotate, sequential', [await rotatingLoop(store, ada.id)]);
  const loops = [];
  for (let i = 0; i < CONCURRENCY; i++) loops.push(await rotatingLoop(store, ada.id));
  await measure(backend, `rotate, ${CONCURRENCY} concurrent`, loops);
  await measure(backend, 'getUserById, sequential', [read]);
  await measure(
    backend,
    `getUserById, ${CONCURRENCY} concurrent`,
    Array.from({ length: CONCURRENCY }, () => read),
  );
}

const dir = await mkdtemp(join(tmpdir(), 'token-auth-bench-sql-'));
const server = await startPostgresServer({ durable: process.env.BENCH_PG_DURABLE !== '0' });
try {
  const direct = await createSqliteSqlStore({
    path: join(dir, 'direct.sqlite'),
    migrate: true,
    purgeIntervalMs: 0,
  });
  await bench('SQLite file (better-sqlite3)', direct);
  await direct.close();

  // The same with SQLite's own checkpoints, on the event loop (every 1000 pages).
  const inline = await createSqliteSqlStore({
    path: join(dir, 'inline-checkpoints.sqlite'),
    migrate: true,
    purgeIntervalMs: 0,
    backgroundCheckpoints: false,
  });
  await bench('SQLite file (better-sqlite3), backgroundCheckpoints: false', inline);
  await inline.close();

  // The pragmas createSqliteSqlStore sets, so that only the path of the statements differs.
  const database = openSqliteFile(Database, join(dir, 'kysely.sqlite'), 5000);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  const throughKysely = await createSqlStore({ db, dialect: 'sqlite', migrate: true, purgeIntervalMs: 0 });
  await bench('SQLite file (Kysely)', throughKysely);
  await throughKysely.close();
  await db.destroy();

  const pg = await createPostgresStore({
    connectionString: server.url(),
    maxConnections: CONCURRENCY,
    migrate: true,
    purgeIntervalMs: 0,
  });
  await bench(`PostgreSQL (pool of ${CONCURRENCY})`, pg);
  await pg.close();
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`Node ${process.version}, ${cpus().length} × ${cpu}; ${RUN_MS} ms per row`);
console.log('');
console.log('| backend | operation | calls/s | mean µs per call |');
console.log('| --- | --- | ---: | ---: |');
for (const row of rows) {
  console.log(
    `| ${row.backend} | ${row.operation} | ${Math.round(row.perSecond).toLocaleString('en')} | ${Math.round(row.meanMicros).toLocaleString('en')} |`,
  );
}
