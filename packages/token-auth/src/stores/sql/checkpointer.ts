/**
 * WAL checkpoints of a SQLite file, off the event loop.
 *
 * In WAL mode every commit appends its pages to the `-wal` file, and a checkpoint copies them
 * back into the database file. SQLite runs one by itself after the commit that takes the WAL
 * past 1000 pages, on the connection that committed: with `synchronous=NORMAL` that is two
 * fsyncs, and better-sqlite3 is synchronous, so the event loop waits for the disk. Measured
 * with `npx tsx packages/token-auth/bench/sql-refresh.ts` on an ext4 virtual disk: 10
 * sessions rotating side by side made 8 200 to 10 200 rotations/s with this worker, 6 600 to
 * 7 100 with SQLite's own checkpoints.
 *
 * Here the store's connection never checkpoints by itself (`wal_autocheckpoint=0`). A worker
 * thread holds a second connection to the file and runs a PASSIVE checkpoint every
 * {@link CHECKPOINT_INTERVAL_MS}: it copies pages and waits for fsyncs while the store goes
 * on committing, and it never blocks a writer. A PASSIVE checkpoint that ran while commits
 * went on leaves the newest frames behind, and SQLite only starts the WAL over once every
 * frame is back in the database file; so under a sustained write load the WAL would only
 * grow. When the worker sees it past {@link WAL_RESTART_FRAMES}, it asks the store's own
 * connection for one checkpoint between two of its commits: nothing is written meanwhile in
 * this process, that checkpoint completes (the worker has copied nearly everything already),
 * and the next commit starts the WAL over. That bounds the WAL at about 64 MiB per process and
 * costs the event loop one short checkpoint per ~16 000 pages written instead of one per 1000.
 *
 * If the worker cannot start or dies, the store's connection checkpoints by itself again
 * (`wal_autocheckpoint=1000`, SQLite's default), so correctness never depends on it.
 *
 * @module
 */

import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** Wall-clock interval between two checkpoints of the worker, in milliseconds. */
export const CHECKPOINT_INTERVAL_MS = 100;

/** WAL size, in pages, past which the store's connection runs one checkpoint itself. */
export const WAL_RESTART_FRAMES = 16_384;

/** When the store's own checkpoint finds the worker checkpointing: tries again this often, this many times. */
const RETRY_DELAY_MS = 2;
const RETRIES_WHEN_BUSY = 10;

/** SQLite's own default of `wal_autocheckpoint`, restored when the worker is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

// CommonJS, evaluated in the worker: a second connection that only checkpoints, and reports
// the WAL's size (in pages) after each checkpoint that found something to do.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    const { log } = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (log > 0) parentPort.postMessage(log);
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Tuning of a {@link WalCheckpointer}, for tests. @internal */
export interface CheckpointerTuning {
  /** @defaultValue {@link CHECKPOINT_INTERVAL_MS} */
  intervalMs?: number;
  /** @defaultValue {@link WAL_RESTART_FRAMES} */
  restartFrames?: number;
  /** Called with the WAL's size in pages after each report of the worker. */
  onReport?: (walFrames: number) => void;
}

/** The row of `PRAGMA wal_checkpoint`: pages in the WAL and pages copied back, -1 when not in WAL mode. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/** A worker thread checkpointing one SQLite file for one store connection. */
export class WalCheckpointer {
  readonly #db: BetterSqlite3.Database;
  readonly #worker: Worker | undefined;
  readonly #restartFrames: number;
  readonly #exited: Promise<void>;
  #stopped = false;
  #nextRestartAt: number;
  #lastReport = 0;
  /** A retry of the store's own checkpoint, waiting while the worker checkpoints. */
  #retry: ReturnType<typeof setTimeout> | undefined;

  /**
   * Starts the worker. The store's connection stops checkpointing by itself at once.
   *
   * @param db - The store's connection, on a file in WAL mode.
   * @param driverPath - The resolved path of the `better-sqlite3` package the store loaded.
   * @param tuning - Interval and threshold (tests).
   */
  constructor(db: BetterSqlite3.Database, driverPath: string, tuning: CheckpointerTuning = {}) {
    this.#db = db;
    this.#restartFrames = tuning.restartFrames ?? WAL_RESTART_FRAMES;
    this.#nextRestartAt = this.#restartFrames;
    db.pragma('wal_autocheckpoint = 0');
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          driver: driverPath,
          file: db.name,
          intervalMs: tuning.intervalMs ?? CHECKPOINT_INTERVAL_MS,
        },
        // The worker writes nothing; its streams stay unconnected to the process's.
        stdout: true,
        stderr: true,
      });
    } catch {
      // No worker threads here (a permission model, for one): SQLite checkpoints as usual.
      this.#worker = undefined;
      this.#exited = Promise.resolve();
      this.#handBack();
      return;
    }
    this.#worker = worker;
    worker.unref();
    worker.on('message', (walFrames: number) => {
      this.#report(walFrames);
      tuning.onReport?.(walFrames);
    });
    // A worker that fails to start or dies: the connection checkpoints by itself again.
    worker.on('error', () => undefined);
    this.#exited = new Promise((resolve) => {
      worker.once('exit', () => {
        if (!this.#stopped) this.#handBack();
        resolve();
      });
    });
  }

  /** Stops the worker and waits for its connection to close (before the store's own closes). */
  async close(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      clearTimeout(this.#retry);
      // Held by the worker until it exits: otherwise a process with nothing else to do would
      // end while close() still waits.
      this.#worker?.ref();
      this.#worker?.postMessage('close');
    }
    await this.#exited;
  }

  /** Gives the checkpoints back to SQLite on the store's connection. */
  #handBack(): void {
    if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  }

  // Past the threshold, one checkpoint here, between two commits of this process, lets the
  // next commit start the WAL over. Once it did, asked again only after as many more pages
  // (another process may be writing all along, and then no checkpoint completes).
  #report(walFrames: number): void {
    // A smaller WAL than last time: it started over.
    if (walFrames < this.#lastReport) this.#nextRestartAt = this.#restartFrames;
    this.#lastReport = walFrames;
    // A retry already waiting covers this report.
    if (walFrames >= this.#nextRestartAt && this.#retry === undefined)
      this.#checkpointHere(RETRIES_WHEN_BUSY);
  }

  #checkpointHere(retries: number): void {
    this.#retry = undefined;
    if (this.#stopped || !this.#db.open) return;
    let result: CheckpointResult | undefined;
    try {
      [result] = this.#db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    } catch {
      // A lock of another connection: as busy.
    }
    if (result !== undefined && result.busy === 0) {
      // Complete: the next commit starts the WAL over. Not complete (a reader of another
      // connection still needs older frames): the next report tries again.
      if (result.checkpointed === result.log) this.#nextRestartAt = this.#lastReport + this.#restartFrames;
      return;
    }
    // Busy: the worker (or another process) is checkpointing right now; it is soon done.
    if (retries > 0) {
      this.#retry = setTimeout(() => this.#checkpointHere(retries - 1), RETRY_DELAY_MS);
      this.#retry.unref();
    }
  }
}
