/**
 * The two drivers of the SQL store: better-sqlite3 directly (synchronous, prepared statements
 * cached, one `BEGIN IMMEDIATE` transaction per plan), and any Kysely instance (PostgreSQL or
 * SQLite, the application's own included).
 *
 * @module
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Kysely } from 'kysely';
import type { WalCheckpointer } from './checkpointer.js';
import {
  bind,
  type Driver,
  driveAsync,
  driveSync,
  type Plan,
  type Row,
  type Step,
  type StepResult,
} from './plan.js';
import type { SqlDialect, Statement } from './statements.js';

/** Runs plans on a better-sqlite3 database, synchronously. */
export class BetterSqliteDriver implements Driver {
  readonly dialect = 'sqlite';
  readonly #db: BetterSqlite3.Database;
  readonly #owned: boolean;
  readonly #checkpointer: WalCheckpointer | undefined;
  readonly #prepared = new WeakMap<Statement, BetterSqlite3.Statement<unknown[], Row>>();
  readonly #execute = (step: Step): StepResult => this.#step(step);
  readonly #transaction: BetterSqlite3.Transaction<(plan: Plan<unknown>) => unknown>;

  /**
   * @param db - An open database.
   * @param owned - Whether {@link BetterSqliteDriver.close} closes it.
   * @param checkpointer - The worker that checkpoints the file, stopped before the database closes.
   */
  constructor(db: BetterSqlite3.Database, owned: boolean, checkpointer?: WalCheckpointer) {
    this.#db = db;
    this.#owned = owned;
    this.#checkpointer = checkpointer;
    this.#transaction = db.transaction((plan: Plan<unknown>) => driveSync(plan.start(), this.#execute));
  }

  /** The database (for the store's pragmas and tests). */
  get database(): BetterSqlite3.Database {
    return this.#db;
  }

  /** Whether the store opened the database itself (nobody else writes through it). */
  get owned(): boolean {
    return this.#owned;
  }

  run<T>(plan: Plan<T>): T {
    if (!plan.transaction) return driveSync(plan.start(), this.#execute);
    return this.#transaction.immediate(plan) as T;
  }

  async close(): Promise<void> {
    // The worker's connection first: the last connection to close checkpoints the whole WAL.
    await this.#checkpointer?.close();
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #step({ statement, params }: Step): StepResult {
    let prepared = this.#prepared.get(statement);
    if (prepared === undefined) {
      prepared = this.#db.prepare<unknown[], Row>(statement.sqlite.text);
      this.#prepared.set(statement, prepared);
    }
    const values = bind(statement.sqlite.names, params, true);
    if (prepared.reader) {
      const rows = prepared.all(...values);
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: prepared.run(...values).changes };
  }
}

/** Builds a raw compiled query: `CompiledQuery.raw` of the Kysely the application loaded. */
export type RawQuery = (sql: string, parameters: unknown[]) => CompiledQuery;

/** Runs plans through a Kysely instance. */
export class KyselyDriver implements Driver {
  readonly dialect: SqlDialect;
  readonly #db: Kysely<unknown>;
  readonly #raw: RawQuery;
  readonly #owned: boolean;

  /**
   * @param db - The Kysely instance, or a transaction of it (plans then run inside it).
   * @param dialect - Its dialect.
   * @param raw - `CompiledQuery.raw`.
   * @param owned - Whether {@link KyselyDriver.close} destroys it.
   */
  constructor(db: Kysely<unknown>, dialect: SqlDialect, raw: RawQuery, owned: boolean) {
    // The application's plugins (CamelCasePlugin, …) must not rewrite the store's rows.
    this.#db = db.withoutPlugins();
    this.dialect = dialect;
    this.#raw = raw;
    this.#owned = owned;
  }

  async run<T>(plan: Plan<T>): Promise<T> {
    const db = this.#db;
    if (!plan.transaction || db.isTransaction)
      return driveAsync(plan.start(), (step) => this.#step(db, step));
    if (this.dialect === 'postgres') {
      // READ COMMITTED whatever the database's default: each statement sees what committed
      // before it, which the migration lock relies on (under REPEATABLE READ the snapshot of
      // a runner that waited for the lock would predate the winner's tables).
      return db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => driveAsync(plan.start(), (step) => this.#step(trx, step)));
    }
    // Kysely's SQLite transactions begin DEFERRED; one connection held for the whole plan
    // lets it begin IMMEDIATE instead.
    return db.connection().execute(async (connection) => {
      await connection.executeQuery(this.#raw('BEGIN IMMEDIATE', []));
      try {
        const result = await driveAsync(plan.start(), (step) => this.#step(connection, step));
        await connection.executeQuery(this.#raw('COMMIT', []));
        return result;
      } catch (error) {
        await connection.executeQuery(this.#raw('ROLLBACK', [])).catch(() => undefined);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#db.destroy();
  }

  async #step(db: Kysely<unknown>, { statement, params }: Step): Promise<StepResult> {
    const compiled = statement[this.dialect];
    const result = await db.executeQuery<Row>(
      this.#raw(compiled.text, bind(compiled.names, params, this.dialect === 'sqlite')),
    );
    const changes =
      result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows);
    return { rows: result.rows as Row[], changes };
  }
}
