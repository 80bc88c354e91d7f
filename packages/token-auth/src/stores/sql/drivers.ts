/**
 * The two drivers of the SQL store: better-sqlite3 directly (synchronous, prepared statements
 * cached, one `BEGIN IMMEDIATE` transaction per plan), and any Kysely instance (PostgreSQL or
 * SQLite, the application's own included).
 *
 * @module
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Kysely } from 'kysely';
import { atEndOfTurn } from '../../lib/turn.js';
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

/** A plan waiting for the next group commit, and how to answer its caller. */
interface Grouped {
  readonly plan: Plan<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Runs plans on a better-sqlite3 database, synchronously. */
export class BetterSqliteDriver implements Driver {
  readonly dialect = 'sqlite';
  readonly #db: BetterSqlite3.Database;
  readonly #owned: boolean;
  readonly #checkpointer: WalCheckpointer | undefined;
  readonly #prepared = new WeakMap<Statement, BetterSqlite3.Statement<unknown[], Row>>();
  readonly #execute = (step: Step): StepResult => this.#step(step);
  readonly #transaction: BetterSqlite3.Transaction<(plan: Plan<unknown>) => unknown>;
  readonly #group: BetterSqlite3.Transaction<(plans: readonly Grouped[]) => Outcome[]>;
  #waiting: Grouped[] = [];

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
    // Each plan of a group in a savepoint of the group's transaction (better-sqlite3 nests a
    // transaction function called inside another that way): a plan that fails is rolled back
    // alone and its caller gets the error; the others commit together.
    this.#group = db.transaction((plans: readonly Grouped[]) =>
      plans.map((grouped): Outcome => {
        let outcome: Outcome;
        try {
          outcome = { ok: true, value: this.#transaction(grouped.plan) };
        } catch (error) {
          outcome = { ok: false, error };
        }
        // SQLite rolled the whole transaction back (after SQLITE_FULL or an I/O error, say):
        // nothing of the group stands, and no later plan may run outside it.
        if (!db.inTransaction) throw outcome.ok ? new Error('SQLite ended the transaction') : outcome.error;
        return outcome;
      }),
    );
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

  /**
   * Group commit: the plans made during one turn of the event loop (each request's rotation,
   * say) run in one `BEGIN IMMEDIATE` transaction once the turn's I/O callbacks are done
   * (`setImmediate`), each in its own savepoint, in the order they came. A commit costs about
   * as much for one plan as for several (the locks, the WAL's pages and header), so under
   * concurrent load each plan pays a share of it. A plan alone waits only for the end of the
   * turn.
   */
  runGrouped<T>(plan: Plan<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#waiting.push({ plan, resolve: resolve as (value: unknown) => void, reject }) === 1) {
        atEndOfTurn(this.#commitGroup);
      }
    });
  }

  readonly #commitGroup = (): void => {
    const plans = this.#waiting;
    if (plans.length === 0) return;
    this.#waiting = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.#group.immediate(plans);
    } catch (error) {
      // BEGIN or COMMIT failed (a lock held too long by another process, a full disk):
      // nothing of the group was written.
      for (const grouped of plans) grouped.reject(error);
      return;
    }
    plans.forEach((grouped, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) grouped.resolve(outcome.value);
      else grouped.reject(outcome.error);
    });
  };

  async close(): Promise<void> {
    // Plans still waiting for their group commit run before the connection closes.
    this.#commitGroup();
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

/** What one plan of a group commit gave. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

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
