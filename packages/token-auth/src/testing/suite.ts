/**
 * The plumbing of the conformance suite: the harness and runner types, and the per-test
 * context that every capability file registers its tests through.
 *
 * @module
 */

import type { TokenAuthStore, UserRecord } from '../stores/port.js';
import { newUser } from './fixtures.js';

/** A test body: synchronous or asynchronous. */
export type TestBody = () => unknown;

/** A test-registering function such as vitest's or jest's `it`; `skip` is used when present. */
export type TestFunction = ((name: string, body: TestBody) => unknown) & {
  /** Registers a skipped test; the tests of a missing harness hook are left out without it. */
  skip?: ((name: string, body: TestBody) => unknown) | undefined;
};

/**
 * The parts of a test runner the suite uses, typed structurally (no runner is imported).
 * Other members (`expect`, `beforeEach`, …) may be passed along and are ignored: the suite
 * asserts with `node:assert/strict` and sets up each test itself.
 */
export interface TestApi {
  /** Groups tests, e.g. vitest's `describe`. */
  describe: (name: string, body: () => void) => unknown;
  /** Registers one test, e.g. vitest's `it`. */
  it: TestFunction;
  /** Anything else the runner offers; unused. */
  [other: string]: unknown;
}

/** What {@link StoreHarness.create} returns: a store, plus whatever the hooks need. */
export interface StoreFixture {
  /** A fresh, empty store. The suite closes it after the test (or the one `reopen` gave). */
  store: TokenAuthStore;
}

/**
 * How the suite makes and inspects stores of one adapter. Only `create` is required;
 * each optional hook turns on the tests that need it (without it they are skipped).
 *
 * @typeParam F - The fixture type: the store and anything the hooks need (a file path,
 *   a connection, a key prefix).
 */
export interface StoreHarness<F extends StoreFixture = StoreFixture> {
  /**
   * Makes a fresh, empty store for one test.
   * @returns The fixture: the store, plus whatever the other hooks need to reach its data.
   */
  create(): Promise<F> | F;
  /**
   * Runs after each test, once the store is closed: delete temporary files, flush databases.
   * @param fixture - What {@link StoreHarness.create} returned for this test. Called even when
   *   the test failed, and after {@link StoreHarness.breakBackend}.
   */
  destroy?(fixture: F): Promise<void> | void;
  /**
   * Opens a new store over the fixture's data, once the suite has closed the previous
   * one. Enables the tests that check nothing is lost across a restart.
   * @param fixture - What {@link StoreHarness.create} returned for this test; its `store`
   *   is closed by then.
   * @returns A new store over the same data. It becomes the test's current store, and the
   *   suite closes it after the test.
   */
  reopen?(fixture: F): Promise<TokenAuthStore> | TokenAuthStore;
  /**
   * Garbage-collects as the adapter would by epoch ms `now` (sweep, purge, or nothing if
   * the backend does it by itself), then returns how many records the backend holds for
   * this store. Enables the tests that check ended and expired sessions, rotated-token
   * index entries and counters do not pile up. The suite's clock starts near the wall
   * clock, so TTLs computed from it line up.
   * @param fixture - What {@link StoreHarness.create} returned for this test.
   * @param now - The suite's clock, epoch ms; it moves forward between calls, up to
   *   {@link ConformanceOptions.gcHorizonMs} past the last expiry.
   * @returns Every record and index entry the backend holds for this store, counted the
   *   same way on each call: the suite compares counts, never an absolute number.
   */
  countRecords?(fixture: F, now: number): Promise<number> | number;
  /**
   * Makes every later backend call of the fixture's store fail (close the connection,
   * stop the server, swap in a failing driver). Enables the tests that check failures
   * surface as rejections, never as "not found".
   * @param fixture - What {@link StoreHarness.create} returned for this test. Its store is
   *   still open and is closed afterwards with any error ignored.
   */
  breakBackend?(fixture: F): Promise<void> | void;
}

/** Options of `runStoreConformanceSuite`. */
export interface ConformanceOptions {
  /**
   * How many concurrent calls the race tests make.
   * @defaultValue `50`
   */
  concurrency?: number | undefined;
  /**
   * How long after expiry, in milliseconds, the adapter's garbage collection is
   * guaranteed to have dropped a record (for the `countRecords` tests). Keep it above
   * the adapter's grace period.
   * @defaultValue `86_400_000` (one day)
   */
  gcHorizonMs?: number | undefined;
  /**
   * How many random command sequences the model-based test runs (fast-check's `numRuns`).
   * @defaultValue `30`
   */
  modelRuns?: number | undefined;
  /**
   * The fast-check seed of the model-based test, to replay a reported failure.
   * @defaultValue a random seed
   */
  modelSeed?: number | undefined;
}

/** The hooks that turn on optional tests. */
export type HarnessHook = 'reopen' | 'countRecords' | 'breakBackend';

/** A test body that receives the per-test context. */
export type ContextBody<F extends StoreFixture> = (context: TestContext<F>) => Promise<void>;

/**
 * What each capability file registers its tests through: the runner, the resolved options,
 * and helpers that give every test a fresh store and close it afterwards.
 */
export class Suite<F extends StoreFixture> {
  /** The runner's `describe`. */
  readonly describe: TestApi['describe'];
  /** {@link ConformanceOptions.concurrency}, resolved. */
  readonly concurrency: number;
  /** {@link ConformanceOptions.gcHorizonMs}, resolved. */
  readonly gcHorizonMs: number;
  /** {@link ConformanceOptions.modelRuns}, resolved. */
  readonly modelRuns: number;
  /** {@link ConformanceOptions.modelSeed}, if any. */
  readonly modelSeed: number | undefined;
  /**
   * The suite's base time: a whole second near the wall clock, so that adapters computing
   * native TTLs from the times passed in keep records for the test's duration.
   */
  readonly t0: number;
  /** The adapter's harness. */
  readonly harness: StoreHarness<F>;
  readonly #it: TestFunction;

  constructor(harness: StoreHarness<F>, api: TestApi, options: ConformanceOptions) {
    this.harness = harness;
    this.describe = api.describe;
    this.#it = api.it;
    this.concurrency = options.concurrency ?? 50;
    this.gcHorizonMs = options.gcHorizonMs ?? 86_400_000;
    this.modelRuns = options.modelRuns ?? 30;
    this.modelSeed = options.modelSeed;
    this.t0 = Math.floor(Date.now() / 1000) * 1000;
  }

  /** Registers a test that runs `body` on a fresh store. */
  it(title: string, body: ContextBody<F>): void {
    this.#it(title, () => this.run(body));
  }

  /** Registers a test that makes its own stores (through {@link Suite.run}). */
  itPlain(title: string, body: () => Promise<void>): void {
    this.#it(title, body);
  }

  /** Registers a test that needs a hook of the harness; skipped (or left out) without it. */
  itWith(hook: HarnessHook, title: string, body: ContextBody<F>): void {
    if (this.harness[hook]) this.it(title, body);
    else this.#it.skip?.(title, () => undefined);
  }

  /** Runs `body` with a fresh fixture and closes whatever store is current afterwards. */
  async run(body: ContextBody<F>): Promise<void> {
    const fixture = await this.harness.create();
    const context = new TestContext(this.harness, fixture);
    try {
      await body(context);
    } finally {
      try {
        await context.closeCurrent();
      } finally {
        await this.harness.destroy?.(fixture);
      }
    }
  }
}

/** Per-test state: the fixture and whichever store is current (reopen replaces it). */
export class TestContext<F extends StoreFixture> {
  readonly #harness: StoreHarness<F>;
  /** What the harness created for this test. */
  readonly fixture: F;
  /** The current store: the fixture's, or the one the last reopen gave. */
  store: TokenAuthStore;
  #closed = false;
  #broken = false;

  constructor(harness: StoreHarness<F>, fixture: F) {
    this.#harness = harness;
    this.fixture = fixture;
    this.store = fixture.store;
  }

  #users = 0;

  /** Creates a user (`user1@example.com`, `user2@…`, …) for the sessions of a test. */
  async user(): Promise<UserRecord> {
    return this.store.createUser(newUser(`user${++this.#users}@example.com`));
  }

  /** Creates two users, in order. */
  async twoUsers(): Promise<[UserRecord, UserRecord]> {
    return [await this.user(), await this.user()];
  }

  /** Closes the current store and opens a new one over the same data. */
  async reopen(): Promise<TokenAuthStore> {
    const reopen = this.#harness.reopen;
    if (!reopen) throw new Error('The harness has no reopen hook');
    await this.store.close();
    this.#closed = true;
    this.store = await reopen(this.fixture);
    this.#closed = false;
    return this.store;
  }

  /** Garbage-collects as of `now` and counts the backend's records. */
  async countRecords(now: number): Promise<number> {
    const count = this.#harness.countRecords;
    if (!count) throw new Error('The harness has no countRecords hook');
    return count(this.fixture, now);
  }

  /** Garbage-collects as of `now` when the harness can (its `countRecords` hook); else nothing. */
  async collectGarbage(now: number): Promise<void> {
    await this.#harness.countRecords?.(this.fixture, now);
  }

  /** Makes every later backend call fail. */
  async breakBackend(): Promise<void> {
    const breakBackend = this.#harness.breakBackend;
    if (!breakBackend) throw new Error('The harness has no breakBackend hook');
    await breakBackend(this.fixture);
    this.#broken = true;
  }

  /** Closes the current store once; a deliberately broken one may fail to close. */
  async closeCurrent(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#broken) await call(() => this.store.close()).catch(() => undefined);
    else await this.store.close();
  }
}

/**
 * Calls `fn` asynchronously, so that a synchronous throw becomes a rejection and a
 * synchronous store's calls interleave like an asynchronous one's.
 */
export function call<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  return Promise.resolve().then(fn) as Promise<Awaited<T>>;
}

/** `[0, 1, …, count - 1]`, for the concurrent-call tests. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
