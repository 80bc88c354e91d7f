/**
 * The store conformance suite (`token-auth/testing`): one set of tests every
 * `TokenAuthStore` adapter runs to prove it implements the port, atomicity included, plus
 * the fixtures (clock, users, sessions, hashes) that adapters' own tests reuse.
 *
 * It needs no particular test runner: pass your runner's `describe` and `it` (vitest,
 * jest, node:test, mocha). Assertions use `node:assert/strict`, so a failure is an
 * `AssertionError` any runner reports.
 *
 * @module token-auth/testing
 */

import { failureTests } from './failures.js';
import { gcTests } from './gc.js';
import { modelTests } from './model.js';
import { persistenceTests } from './persistence.js';
import { sessionTests } from './sessions.js';
import { settingsTests } from './settings.js';
import {
  type ConformanceOptions,
  type StoreFixture,
  type StoreHarness,
  Suite,
  type TestApi,
} from './suite.js';
import { throttleTests } from './throttle.js';
import { userTests } from './users.js';

export {
  DAY_MS,
  freshHash,
  hashOf,
  isEmailTaken,
  type ManualClock,
  MINUTE_MS,
  manualClock,
  newHead,
  newSession,
  newUser,
  settingsChange,
  storedSession,
} from './fixtures.js';
export type {
  ConformanceOptions,
  StoreFixture,
  StoreHarness,
  TestApi,
  TestBody,
  TestFunction,
} from './suite.js';

/**
 * Registers the store conformance tests under `describe(name)`, one group per capability:
 * users, sessions (start, rotate, end, list, races), settings, throttling counters, a
 * model-based test of the session operations (fast-check, an optional peer), and, when the
 * harness has the hook, persistence (`reopen`), garbage (`countRecords`) and failures
 * (`breakBackend`).
 *
 * @param name - The adapter's name, used as the group title.
 * @param harness - Makes a fresh, empty store for one test, and the optional hooks; a
 *   bare function stands for `{ create }`.
 * @param api - The runner's `describe` and `it`.
 * @param options - Concurrency, garbage-collection horizon and model-test runs.
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { describe, it } from 'vitest';
 * import { runStoreConformanceSuite } from 'token-auth/testing';
 * import { MyStore } from '../src/my-store.js';
 *
 * runStoreConformanceSuite(
 *   'MyStore',
 *   {
 *     async create() {
 *       const db = await createTestDatabase();
 *       return { store: new MyStore(db.url), db };
 *     },
 *     reopen: ({ db }) => new MyStore(db.url),
 *     destroy: ({ db }) => db.drop(),
 *   },
 *   { describe, it },
 * );
 * ```
 */
export function runStoreConformanceSuite<F extends StoreFixture>(
  name: string,
  harness: StoreHarness<F> | (() => Promise<F> | F),
  api: TestApi,
  options: ConformanceOptions = {},
): void {
  const suite = new Suite<F>(typeof harness === 'function' ? { create: harness } : harness, api, options);
  api.describe(`${name}: store conformance`, () => {
    userTests(suite);
    sessionTests(suite);
    settingsTests(suite);
    throttleTests(suite);
    modelTests(suite);
    persistenceTests(suite);
    gcTests(suite);
    failureTests(suite);
  });
}
