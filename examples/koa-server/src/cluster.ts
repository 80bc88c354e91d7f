/**
 * Several server processes on one machine with `node:cluster`: the primary forks
 * `WORKERS` copies of the server (`main`), which share one listening port: the primary
 * accepts each new connection and hands it to the workers in turn. A worker that dies is replaced; on
 * SIGTERM or SIGINT every worker shuts down gracefully and the primary exits.
 *
 * The workers share nothing in memory, so they must share a store: a `sqlite://` file (the
 * default; its transactions are exactly-once across processes), a `postgres://` or a
 * `redis://` URL (then with `JWT_SECRET` set, so that every worker verifies the others' tokens).
 * `WORKERS=N npm start` (or `node dist/main.js`) starts this launcher too.
 *
 *   WORKERS=2 node dist/cluster.js
 *   WORKERS=4 DATABASE_URL=postgres://auth@db/auth JWT_SECRET=… node dist/cluster.js
 *
 * @module
 */

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { usage, WORKERS_VARIABLE } from './config.js';

/** A worker exiting sooner than this after its start counts as a crash at startup. */
const EARLY_EXIT_MS = 5_000;
/** After this many crashes at startup in a row, the primary gives up instead of looping. */
const MAX_EARLY_EXITS = 5;

function fail(message: string): never {
  process.stderr.write(`koa-server cluster: ${message}\n`);
  process.exit(1);
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(usage('node dist/cluster.js', [WORKERS_VARIABLE]));
  process.exit(0);
}

if (process.env.WORKERS !== undefined && process.env.WORKERS.trim() === '') {
  fail('WORKERS is set but empty; unset it to fork one worker per CPU or give a number');
}
const workersText = process.env.WORKERS?.trim() || String(availableParallelism());
const workers = /^\d{1,3}$/.test(workersText) ? Number(workersText) : Number.NaN;
if (!(workers >= 1 && workers <= 256)) fail(`WORKERS must be an integer from 1 to 256, got "${workersText}"`);
const databaseUrl = process.env.DATABASE_URL?.trim() || 'sqlite://./data/auth.sqlite';
if (!/^(rediss?|postgres|postgresql|sqlite):\/\//i.test(databaseUrl)) {
  fail(
    'DATABASE_URL must be a sqlite://, postgres:// or redis:// URL: the workers share no memory, so they need a store they can all open (memory:// and keyv+sqlite:// are one process only)',
  );
}
// A SQLite file keeps a generated secret beside it, which every worker reads; a server
// database does not, so its workers need the secret from the environment.
if (!/^sqlite:/i.test(databaseUrl) && !process.env.JWT_SECRET?.trim()) {
  fail('JWT_SECRET must be set: every worker must sign and verify with the same secret');
}

// The workers run the ordinary entry point: main.js when built, main.ts under tsx.
const main = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url),
);
cluster.setupPrimary({ exec: main });

let stopping = false;
let earlyExits = 0;
const startedAt = new Map<Worker, number>();

function fork(): void {
  const worker = cluster.fork();
  startedAt.set(worker, Date.now());
}

cluster.on('exit', (worker, code, signal) => {
  const lived = Date.now() - (startedAt.get(worker) ?? 0);
  startedAt.delete(worker);
  if (stopping) {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    return;
  }
  earlyExits = lived < EARLY_EXIT_MS ? earlyExits + 1 : 0;
  if (earlyExits >= MAX_EARLY_EXITS) {
    fail(
      `${earlyExits} workers exited right after starting (last: code ${code}, signal ${signal}); giving up`,
    );
  }
  process.stderr.write(
    `koa-server cluster: worker ${worker.process.pid} exited (code ${code}, signal ${signal}); replacing it\n`,
  );
  fork();
});

const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  // Each worker closes gracefully on its own SIGTERM handler (finish requests, close the store).
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  process.stderr.write(`koa-server cluster: ${signal}: stopping ${workers} workers\n`);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

for (let i = 0; i < workers; i++) fork();
