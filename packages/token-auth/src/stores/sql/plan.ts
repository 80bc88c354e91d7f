/**
 * How the SQL store's operations are written once for two kinds of driver: an operation is a
 * generator that yields the statements it runs and receives their results. A synchronous
 * driver (better-sqlite3) runs it inside one `db.transaction(...).immediate()` call; an
 * asynchronous one (Kysely) awaits each statement. A driver error is thrown back into the
 * generator at its `yield`, so an operation can map, say, a unique violation.
 *
 * @module
 */

import type { Statement } from './statements.js';

/** A database row as a driver returns it. */
export type Row = Record<string, unknown>;

/** One statement to run, with its named parameters. */
export interface Step {
  /** The statement. */
  readonly statement: Statement;
  /** The value of each of its `:name` parameters (`null` for SQL NULL). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** What a {@link Step} gave. */
export interface StepResult {
  /** The rows it returned (SELECT, RETURNING), else `[]`. */
  rows: Row[];
  /** Rows inserted, updated or deleted (for a RETURNING statement, the rows returned). */
  changes: number;
}

/** An operation: yields steps, receives their results, returns its answer. */
export type Operation<T> = Generator<Step, T, StepResult>;

/** An operation and whether its steps must run in one transaction. */
export interface Plan<T> {
  /**
   * `true` when the steps must commit together. On SQLite such a transaction starts with
   * `BEGIN IMMEDIATE` (the write lock is taken first, so processes sharing a file never
   * deadlock on a lock upgrade); a plan of one statement needs none.
   */
  readonly transaction: boolean;
  /** Starts the operation. */
  readonly start: () => Operation<T>;
}

/**
 * Builds a step.
 *
 * @param statement - The statement.
 * @param params - Its parameters.
 * @returns The step to yield.
 */
export function step(statement: Statement, params: Readonly<Record<string, unknown>> = {}): Step {
  return { statement, params };
}

/**
 * Orders a step's parameters by its compiled placeholders.
 *
 * @param names - The compiled parameter names.
 * @param params - The named values.
 * @param sqlite - Whether booleans must become 0 and 1 (SQLite has no boolean type).
 * @returns The positional values.
 */
export function bind(
  names: readonly string[],
  params: Readonly<Record<string, unknown>>,
  sqlite: boolean,
): unknown[] {
  const values = new Array<unknown>(names.length);
  for (let i = 0; i < names.length; i++) {
    const value = params[names[i] as string];
    if (value === undefined) throw new Error(`SQL parameter :${names[i]} is missing`);
    values[i] = sqlite && typeof value === 'boolean' ? Number(value) : value;
  }
  return values;
}

/** A driver: runs plans on one database. */
export interface Driver {
  /** The dialect of the database. */
  readonly dialect: 'postgres' | 'sqlite';
  /**
   * Runs a plan: in one transaction when it asks for one, else statement by statement.
   * @param plan - The plan.
   * @returns Its answer (synchronously on better-sqlite3).
   */
  run<T>(plan: Plan<T>): T | Promise<T>;
  /**
   * Runs a plan that may share its transaction with others made in the same turn of the
   * event loop (group commit), each still all or nothing; drivers without it run plans one
   * by one.
   * @param plan - A plan that needs a transaction.
   * @returns Its answer.
   */
  runGrouped?<T>(plan: Plan<T>): Promise<T>;
  /** Releases what the driver owns (connections, files); nothing it was lent. */
  close(): Promise<void>;
}

/**
 * Runs an operation to its end with a synchronous executor.
 *
 * @param operation - The started operation.
 * @param execute - Runs one step.
 * @returns The operation's answer.
 */
export function driveSync<T>(operation: Operation<T>, execute: (step: Step) => StepResult): T {
  let next = operation.next();
  while (!next.done) {
    let result: StepResult;
    try {
      result = execute(next.value);
    } catch (error) {
      next = operation.throw(error);
      continue;
    }
    next = operation.next(result);
  }
  return next.value;
}

/**
 * Runs an operation to its end with an asynchronous executor.
 *
 * @param operation - The started operation.
 * @param execute - Runs one step.
 * @returns The operation's answer.
 */
export async function driveAsync<T>(
  operation: Operation<T>,
  execute: (step: Step) => Promise<StepResult>,
): Promise<T> {
  let next = operation.next();
  while (!next.done) {
    let result: StepResult;
    try {
      result = await execute(next.value);
    } catch (error) {
      next = operation.throw(error);
      continue;
    }
    next = operation.next(result);
  }
  return next.value;
}
