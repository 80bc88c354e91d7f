/**
 * The store conformance suite (`token-auth/testing`): one set of tests every
 * {@link TokenAuthStore} adapter runs to prove it implements the port, atomicity included.
 *
 * It needs no particular test runner: pass your runner's `describe` and `it` (vitest,
 * jest, node:test, mocha). Assertions use `node:assert/strict`, so a failure is an
 * `AssertionError` any runner reports.
 *
 * @module token-auth/testing
 */

import assert from 'node:assert/strict';
import type {
  NewUserRecord,
  RefreshTokenRecord,
  SettingsChange,
  TokenAuthStore,
  UserRecord,
} from './stores/port.js';

/** A test body: synchronous or asynchronous. */
export type TestBody = () => unknown;

/** A test-registering function such as vitest's or jest's `it`; `skip` is used when present. */
export type TestFunction = ((name: string, body: TestBody) => unknown) & {
  /** Registers a skipped test; the tests of a missing harness hook are left out without it. */
  skip?: (name: string, body: TestBody) => unknown;
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
   * this store. Enables the tests that check expired and deleted records do not pile
   * up. The suite's clock starts near the wall clock, so TTLs computed from it line up.
   * @param fixture - What {@link StoreHarness.create} returned for this test.
   * @param now - The suite's clock, epoch ms; it moves forward between calls, up to
   *   {@link ConformanceOptions.gcHorizonMs} past the last expiry.
   * @returns Every record and index entry the backend holds for this store, counted the
   *   same way on each call: the suite compares counts, never an absolute number.
   */
  countRecords?(fixture: F, now: number): Promise<number>;
  /**
   * Makes every later backend call of the fixture's store fail (close the connection,
   * stop the server, swap in a failing driver). Enables the tests that check failures
   * surface as rejections, never as "not found".
   * @param fixture - What {@link StoreHarness.create} returned for this test. Its store is
   *   still open and is closed afterwards with any error ignored.
   */
  breakBackend?(fixture: F): Promise<void> | void;
}

/** Options of {@link runStoreConformanceSuite}. */
export interface ConformanceOptions {
  /**
   * How many concurrent calls the race tests make.
   * @defaultValue `50`
   */
  concurrency?: number;
  /**
   * How long after expiry, in milliseconds, the adapter's garbage collection is
   * guaranteed to have dropped a record (for the `countRecords` tests). Keep it above
   * the adapter's grace period.
   * @defaultValue `86_400_000` (one day)
   */
  gcHorizonMs?: number;
}

/**
 * Registers the store conformance tests under `describe(name)`.
 *
 * Every port method is covered: users and the uniqueness of `emailKey` (also under
 * concurrent creations and email changes), ids that are positive, increasing and never
 * reused, refresh-token consumption (`consumed`, `reused`, `expired`, `missing`; exactly
 * one winner among concurrent consumers; the caller's `now` honoured over the wall
 * clock), deletion by token, family and user, listing, settings and their history, and
 * the throttling counters. The factory's optional hooks enable more checks: `reopen`
 * (nothing lost across a restart), `countRecords` (nothing piles up) and `breakBackend`
 * (errors are not swallowed).
 *
 * @param name - The adapter's name, used as the group title.
 * @param harness - Makes a fresh, empty store for one test, and the optional hooks; a
 *   bare function stands for `{ create }`.
 * @param api - The runner's `describe` and `it`.
 * @param options - Concurrency and garbage-collection horizon.
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
  const adapter: StoreHarness<F> = typeof harness === 'function' ? { create: harness } : harness;
  const { describe, it } = api;
  const concurrency = options.concurrency ?? 50;
  const gcHorizonMs = options.gcHorizonMs ?? 86_400_000;
  // Times are passed in, never read by the store; the base is near the wall clock only
  // so that adapters computing native TTLs from it keep records for the test's duration.
  const T0 = Math.floor(Date.now() / 1000) * 1000;

  /** Runs `body` with a fresh fixture and closes whatever store is current afterwards. */
  const withStore =
    (body: (context: TestContext<F>) => Promise<void>): TestBody =>
    async () => {
      const fixture = await adapter.create();
      const context = new TestContext(adapter, fixture);
      try {
        await body(context);
      } finally {
        try {
          await context.closeCurrent();
        } finally {
          await adapter.destroy?.(fixture);
        }
      }
    };

  /** Registers a test that needs a hook of the harness; skipped (or left out) without it. */
  const itWith =
    (hook: 'reopen' | 'countRecords' | 'breakBackend') =>
    (title: string, body: (context: TestContext<F>) => Promise<void>) => {
      if (adapter[hook]) it(title, withStore(body));
      else it.skip?.(title, () => undefined);
    };
  const itReopen = itWith('reopen');
  const itCount = itWith('countRecords');
  const itBreak = itWith('breakBackend');

  describe(`${name}: store conformance`, () => {
    describe('users', () => {
      it(
        'createUser assigns a positive integer id and returns every stored field',
        withStore(async ({ store }) => {
          const input = newUser('ada@example.com');
          const created = await store.createUser(input);
          assert.ok(Number.isSafeInteger(created.id) && created.id > 0, 'id must be a positive integer');
          assert.deepEqual(created, { ...input, id: created.id });
        }),
      );

      it(
        'createUser assigns increasing ids',
        withStore(async ({ store }) => {
          const ids: number[] = [];
          for (let i = 0; i < 5; i++) ids.push((await store.createUser(newUser(`user${i}@example.com`))).id);
          for (let i = 1; i < ids.length; i++) assert.ok((ids[i] as number) > (ids[i - 1] as number));
        }),
      );

      it(
        'getUserById returns the created user',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('ada@example.com'));
          assert.deepEqual(await store.getUserById(created.id), created);
        }),
      );

      it(
        'getUserById returns undefined for an unknown id',
        withStore(async ({ store }) => {
          await store.createUser(newUser('ada@example.com'));
          assert.equal(await store.getUserById(987_654), undefined);
        }),
      );

      it(
        'getUserByEmailKey returns the user holding the key',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('Ada@Example.com'));
          assert.deepEqual(await store.getUserByEmailKey('ada@example.com'), created);
        }),
      );

      it(
        'getUserByEmailKey returns undefined for an unknown key',
        withStore(async ({ store }) => {
          await store.createUser(newUser('ada@example.com'));
          assert.equal(await store.getUserByEmailKey('grace@example.com'), undefined);
        }),
      );

      it(
        'createUser rejects a taken emailKey with an email_taken error',
        withStore(async ({ store }) => {
          await store.createUser(newUser('ada@example.com'));
          await assert.rejects(
            call(() => store.createUser(newUser('ADA@example.com'))),
            isEmailTaken,
          );
        }),
      );

      it(
        `of ${concurrency} concurrent createUser calls with one emailKey exactly one succeeds`,
        withStore(async ({ store }) => {
          const outcomes = await Promise.allSettled(
            Array.from({ length: concurrency }, (_, i) =>
              call(() => store.createUser({ ...newUser('race@example.com'), username: `u${i}` })),
            ),
          );
          const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          assert.equal(winners.length, 1);
          for (const outcome of outcomes)
            if (outcome.status === 'rejected') assert.ok(isEmailTaken(outcome.reason));
          const winner = (winners[0] as PromiseFulfilledResult<UserRecord>).value;
          assert.deepEqual(await store.getUserByEmailKey('race@example.com'), winner);
        }),
      );

      it(
        `${concurrency} concurrent createUser calls with distinct emails get distinct ids`,
        withStore(async ({ store }) => {
          const users = await Promise.all(
            Array.from({ length: concurrency }, (_, i) =>
              call(() => store.createUser(newUser(`user${i}@example.com`))),
            ),
          );
          assert.equal(new Set(users.map((user) => user.id)).size, concurrency);
        }),
      );

      it(
        'updateUser applies the patch, keeps the other fields and persists the result',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('ada@example.com'));
          const patch = {
            username: 'Ada',
            isStaff: true,
            passwordHash: '$scrypt$new',
            updatedAt: T0 + 5_000,
          };
          const updated = await store.updateUser(created.id, patch);
          assert.deepEqual(updated, { ...created, ...patch });
          assert.deepEqual(await store.getUserById(created.id), updated);
        }),
      );

      it(
        'updateUser ignores patch fields that are undefined',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('ada@example.com'));
          const updated = await store.updateUser(created.id, { username: undefined, isActive: false });
          assert.deepEqual(updated, { ...created, isActive: false });
        }),
      );

      it(
        'updateUser returns undefined for an unknown id and creates nobody',
        withStore(async ({ store }) => {
          assert.equal(await store.updateUser(4_242, { username: 'ghost' }), undefined);
          assert.equal(await store.getUserById(4_242), undefined);
        }),
      );

      it(
        'updateUser moves the email claim: the new key finds the user, the old one is free again',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('ada@example.com'));
          await store.updateUser(created.id, { email: 'ada@new.example', emailKey: 'ada@new.example' });
          assert.equal((await store.getUserByEmailKey('ada@new.example'))?.id, created.id);
          assert.equal(await store.getUserByEmailKey('ada@example.com'), undefined);
          const other = await store.createUser(newUser('ada@example.com'));
          assert.notEqual(other.id, created.id);
        }),
      );

      it(
        'updateUser accepts a patch that repeats the user own emailKey',
        withStore(async ({ store }) => {
          const created = await store.createUser(newUser('ada@example.com'));
          const updated = await store.updateUser(created.id, {
            email: 'ADA@example.com',
            emailKey: 'ada@example.com',
          });
          assert.equal(updated?.email, 'ADA@example.com');
          assert.equal((await store.getUserByEmailKey('ada@example.com'))?.id, created.id);
        }),
      );

      it(
        'updateUser rejects the emailKey of another user and changes nothing',
        withStore(async ({ store }) => {
          const ada = await store.createUser(newUser('ada@example.com'));
          const grace = await store.createUser(newUser('grace@example.com'));
          await assert.rejects(
            call(() => store.updateUser(grace.id, { email: 'ada@example.com', emailKey: 'ada@example.com' })),
            isEmailTaken,
          );
          assert.deepEqual(await store.getUserById(grace.id), grace);
          assert.deepEqual(await store.getUserByEmailKey('ada@example.com'), ada);
          assert.deepEqual(await store.getUserByEmailKey('grace@example.com'), grace);
        }),
      );

      it(
        'of two users concurrently changing to one emailKey exactly one wins',
        withStore(async ({ store }) => {
          const ada = await store.createUser(newUser('ada@example.com'));
          const grace = await store.createUser(newUser('grace@example.com'));
          const target = { email: 'shared@example.com', emailKey: 'shared@example.com' };
          const outcomes = await Promise.allSettled(
            [ada, grace].map((user) => call(() => store.updateUser(user.id, target))),
          );
          const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          assert.equal(winners.length, 1);
          const loser = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
          assert.ok(isEmailTaken(loser.reason));
          const winnerId = (winners[0] as PromiseFulfilledResult<UserRecord | undefined>).value?.id;
          assert.equal((await store.getUserByEmailKey('shared@example.com'))?.id, winnerId);
          const loserId = winnerId === ada.id ? grace.id : ada.id;
          const loserKey = loserId === ada.id ? 'ada@example.com' : 'grace@example.com';
          assert.equal((await store.getUserByEmailKey(loserKey))?.id, loserId);
        }),
      );

      it(
        'of concurrent createUser and updateUser claiming one emailKey exactly one wins',
        withStore(async ({ store }) => {
          const grace = await store.createUser(newUser('grace@example.com'));
          const outcomes = await Promise.allSettled([
            call(() => store.createUser(newUser('shared@example.com'))),
            call(() =>
              store.updateUser(grace.id, { email: 'shared@example.com', emailKey: 'shared@example.com' }),
            ),
          ]);
          assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
          assert.ok((await store.getUserByEmailKey('shared@example.com')) !== undefined);
        }),
      );

      it(
        'users are stored as copies: mutating what went in or came out changes nothing',
        withStore(async ({ store }) => {
          const input = newUser('ada@example.com');
          const created = await store.createUser(input);
          const expected = { ...created };
          input.username = 'mutated';
          created.username = 'mutated';
          const read = await store.getUserById(expected.id);
          assert.deepEqual(read, expected);
          if (read) read.isStaff = true;
          assert.deepEqual(await store.getUserById(expected.id), expected);
        }),
      );
    });

    describe('refresh tokens', () => {
      it(
        'consumeRefreshToken marks a current token rotated at now and answers consumed',
        withStore(async ({ store }) => {
          const record = newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 });
          await store.createRefreshToken(record);
          assert.deepEqual(await store.consumeRefreshToken('a1', T0 + 1_000), {
            status: 'consumed',
            record: { ...record, rotatedAt: T0 + 1_000 },
          });
        }),
      );

      it(
        'consumeRefreshToken of a rotated token answers reused with the record, unchanged',
        withStore(async ({ store }) => {
          const record = newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 });
          await store.createRefreshToken(record);
          await store.consumeRefreshToken('a1', T0 + 1_000);
          const again = await store.consumeRefreshToken('a1', T0 + 2_000);
          assert.deepEqual(again, { status: 'reused', record: { ...record, rotatedAt: T0 + 1_000 } });
          assert.deepEqual(await store.consumeRefreshToken('a1', T0 + 3_000), again);
        }),
      );

      it(
        'consumeRefreshToken answers expired when now equals expiresAt',
        withStore(async ({ store }) => {
          const record = newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 });
          await store.createRefreshToken(record);
          assert.deepEqual(await store.consumeRefreshToken('a1', T0 + 60_000), { status: 'expired', record });
        }),
      );

      it(
        'consumeRefreshToken consumes a token one millisecond before expiresAt',
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          assert.equal((await store.consumeRefreshToken('a1', T0 + 59_999)).status, 'consumed');
        }),
      );

      it(
        'consumeRefreshToken of an expired rotated token answers expired, not reused',
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          await store.consumeRefreshToken('a1', T0 + 1_000);
          assert.equal((await store.consumeRefreshToken('a1', T0 + 60_000)).status, 'expired');
        }),
      );

      it(
        'consumeRefreshToken of an unknown hash answers missing',
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          assert.deepEqual(await store.consumeRefreshToken('b2', T0 + 1_000), { status: 'missing' });
        }),
      );

      it(
        'consumeRefreshToken decides by the now passed in: a token dead by the wall clock is consumed',
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: 1_000, expiresAt: 61_000 }));
          assert.equal((await store.consumeRefreshToken('a1', 2_000)).status, 'consumed');
        }),
      );

      it(
        'consumeRefreshToken decides by the now passed in: a token alive by the wall clock is expired',
        withStore(async ({ store }) => {
          const year = 365 * 86_400_000;
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + year }));
          assert.equal((await store.consumeRefreshToken('a1', T0 + year + 1)).status, 'expired');
        }),
      );

      it(
        `of ${concurrency} concurrent consumes of one token exactly one answers consumed`,
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          const results = await Promise.all(
            Array.from({ length: concurrency }, (_, i) =>
              call(() => store.consumeRefreshToken('a1', T0 + 1_000 + i)),
            ),
          );
          const statuses = results.map((result) => result.status);
          assert.equal(statuses.filter((status) => status === 'consumed').length, 1);
          assert.equal(statuses.filter((status) => status === 'reused').length, concurrency - 1);
        }),
      );

      it(
        'deleteRefreshToken returns the record once, then undefined',
        withStore(async ({ store }) => {
          const record = newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 });
          await store.createRefreshToken(record);
          assert.deepEqual(await store.deleteRefreshToken('a1'), record);
          assert.equal(await store.deleteRefreshToken('a1'), undefined);
          assert.deepEqual(await store.consumeRefreshToken('a1', T0 + 1_000), { status: 'missing' });
        }),
      );

      it(
        'deleteRefreshToken deletes a rotated token too',
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          await store.consumeRefreshToken('a1', T0 + 1_000);
          assert.equal((await store.deleteRefreshToken('a1'))?.rotatedAt, T0 + 1_000);
          assert.deepEqual(await store.consumeRefreshToken('a1', T0 + 2_000), { status: 'missing' });
        }),
      );

      it(
        `of ${concurrency} concurrent deletes of one token exactly one returns the record`,
        withStore(async ({ store }) => {
          await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
          const results = await Promise.all(
            Array.from({ length: concurrency }, () => call(() => store.deleteRefreshToken('a1'))),
          );
          assert.equal(results.filter((result) => result !== undefined).length, 1);
        }),
      );

      it(
        'deleteRefreshTokenFamily deletes every token of the family, rotated ones included, and counts them',
        withStore(async ({ store }) => {
          await store.createRefreshToken(
            newToken('f1-a', { familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.consumeRefreshToken('f1-a', T0 + 1_000);
          await store.createRefreshToken(
            newToken('f1-b', { familyId: 'f1', createdAt: T0 + 1_000, expiresAt: T0 + 61_000 }),
          );
          await store.createRefreshToken(
            newToken('f2-a', { familyId: 'f2', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          assert.equal(await store.deleteRefreshTokenFamily('f1'), 2);
          assert.equal((await store.consumeRefreshToken('f1-a', T0 + 2_000)).status, 'missing');
          assert.equal((await store.consumeRefreshToken('f1-b', T0 + 2_000)).status, 'missing');
          assert.equal((await store.consumeRefreshToken('f2-a', T0 + 2_000)).status, 'consumed');
        }),
      );

      it(
        'deleteRefreshTokenFamily of a deleted or unknown family returns 0',
        withStore(async ({ store }) => {
          await store.createRefreshToken(
            newToken('f1-a', { familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.deleteRefreshTokenFamily('f1');
          assert.equal(await store.deleteRefreshTokenFamily('f1'), 0);
          assert.equal(await store.deleteRefreshTokenFamily('never-issued'), 0);
        }),
      );

      it(
        'deleteRefreshTokenFamily does not count a token deleted before',
        withStore(async ({ store }) => {
          await store.createRefreshToken(
            newToken('f1-a', { familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.createRefreshToken(
            newToken('f1-b', { familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.deleteRefreshToken('f1-a');
          assert.equal(await store.deleteRefreshTokenFamily('f1'), 1);
        }),
      );

      it(
        'deleteUserRefreshTokens deletes every token of the user across families and counts them',
        withStore(async ({ store }) => {
          await store.createRefreshToken(
            newToken('u1-a', { userId: 1, familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.createRefreshToken(
            newToken('u1-b', { userId: 1, familyId: 'f2', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.consumeRefreshToken('u1-b', T0 + 1_000);
          await store.createRefreshToken(
            newToken('u2-a', { userId: 2, familyId: 'f3', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          assert.equal(await store.deleteUserRefreshTokens(1), 2);
          assert.equal((await store.consumeRefreshToken('u1-a', T0 + 2_000)).status, 'missing');
          assert.equal((await store.consumeRefreshToken('u1-b', T0 + 2_000)).status, 'missing');
          assert.equal((await store.consumeRefreshToken('u2-a', T0 + 2_000)).status, 'consumed');
          assert.equal(await store.deleteUserRefreshTokens(1), 0);
        }),
      );

      it(
        'concurrent family and user deletions delete each token once in total',
        withStore(async ({ store }) => {
          for (let i = 0; i < 10; i++) {
            await store.createRefreshToken(
              newToken(`t${i}`, { userId: 1, familyId: `f${i % 2}`, createdAt: T0, expiresAt: T0 + 60_000 }),
            );
          }
          const counts = await Promise.all([
            call(() => store.deleteRefreshTokenFamily('f0')),
            call(() => store.deleteUserRefreshTokens(1)),
            call(() => store.deleteRefreshTokenFamily('f1')),
          ]);
          assert.equal(
            counts.reduce((sum, count) => sum + count, 0),
            10,
          );
          assert.deepEqual(await store.listUserRefreshTokens(1, T0 + 1_000), []);
        }),
      );

      it(
        'listUserRefreshTokens lists only current unexpired tokens of the user, oldest first',
        withStore(async ({ store }) => {
          const newest = newToken('new', {
            userId: 1,
            familyId: 'f1',
            createdAt: T0 + 3_000,
            expiresAt: T0 + 90_000,
          });
          const oldest = newToken('old', {
            userId: 1,
            familyId: 'f2',
            createdAt: T0 + 1_000,
            expiresAt: T0 + 90_000,
          });
          await store.createRefreshToken(newest);
          await store.createRefreshToken(oldest);
          await store.createRefreshToken(
            newToken('rotated', { userId: 1, familyId: 'f3', createdAt: T0, expiresAt: T0 + 90_000 }),
          );
          await store.consumeRefreshToken('rotated', T0 + 4_000);
          await store.createRefreshToken(
            newToken('expired', { userId: 1, familyId: 'f4', createdAt: T0, expiresAt: T0 + 5_000 }),
          );
          await store.createRefreshToken(
            newToken('other', { userId: 2, familyId: 'f5', createdAt: T0, expiresAt: T0 + 90_000 }),
          );
          assert.deepEqual(await store.listUserRefreshTokens(1, T0 + 5_000), [oldest, newest]);
        }),
      );

      it(
        'listUserRefreshTokens returns an empty list for a user without tokens',
        withStore(async ({ store }) => {
          await store.createRefreshToken(
            newToken('a1', { userId: 1, createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          assert.deepEqual(await store.listUserRefreshTokens(2, T0 + 1_000), []);
        }),
      );

      it(
        'listUserRefreshTokens no longer lists tokens of a deleted family',
        withStore(async ({ store }) => {
          const kept = newToken('keep', { userId: 1, familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 });
          await store.createRefreshToken(kept);
          await store.createRefreshToken(
            newToken('drop', { userId: 1, familyId: 'f2', createdAt: T0, expiresAt: T0 + 60_000 }),
          );
          await store.deleteRefreshTokenFamily('f2');
          assert.deepEqual(await store.listUserRefreshTokens(1, T0 + 1_000), [kept]);
        }),
      );

      it(
        'refresh tokens are stored as copies: mutating what went in or came out changes nothing',
        withStore(async ({ store }) => {
          const record = newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 });
          const expected = { ...record };
          await store.createRefreshToken(record);
          record.expiresAt = T0 + 1;
          record.rotatedAt = T0;
          const listed = await store.listUserRefreshTokens(expected.userId, T0 + 1_000);
          assert.deepEqual(listed, [expected]);
          (listed[0] as RefreshTokenRecord).rotatedAt = T0;
          assert.deepEqual(await store.listUserRefreshTokens(expected.userId, T0 + 1_000), [expected]);
        }),
      );
    });

    describe('settings', () => {
      it(
        'getSettings returns undefined before anything was saved',
        withStore(async ({ store }) => {
          assert.equal(await store.getSettings(), undefined);
        }),
      );

      it(
        'updateSettings merges the values over the stored ones',
        withStore(async ({ store }) => {
          await store.updateSettings({ accessTokenTtlSeconds: 60 }, []);
          await store.updateSettings({ refreshTokenTtlSeconds: 3_600 }, []);
          await store.updateSettings({ accessTokenTtlSeconds: 90 }, []);
          assert.deepEqual(await store.getSettings(), {
            accessTokenTtlSeconds: 90,
            refreshTokenTtlSeconds: 3_600,
          });
        }),
      );

      it(
        'listSettingsHistory returns an empty list before any change',
        withStore(async ({ store }) => {
          assert.deepEqual(await store.listSettingsHistory(10), []);
        }),
      );

      it(
        'listSettingsHistory returns every field of the changes, newest first',
        withStore(async ({ store }) => {
          const first = change('accessTokenTtlSeconds', 30, 60, T0 + 1_000, 7);
          const second = change('refreshTokenTtlSeconds', 2_592_000, 3_600, T0 + 2_000, null);
          const third = change('accessTokenTtlSeconds', 60, 90, T0 + 3_000, 7);
          await store.updateSettings({ accessTokenTtlSeconds: 60 }, [first]);
          await store.updateSettings({ refreshTokenTtlSeconds: 3_600, accessTokenTtlSeconds: 90 }, [
            second,
            third,
          ]);
          assert.deepEqual(await store.listSettingsHistory(10), [third, second, first]);
        }),
      );

      it(
        'listSettingsHistory returns at most limit entries, the newest',
        withStore(async ({ store }) => {
          for (let i = 1; i <= 5; i++) {
            await store.updateSettings({ accessTokenTtlSeconds: 30 + i }, [
              change('accessTokenTtlSeconds', 29 + i, 30 + i, T0 + i, null),
            ]);
          }
          const history = await store.listSettingsHistory(2);
          assert.deepEqual(
            history.map((entry) => entry.newValue),
            [35, 34],
          );
          assert.deepEqual(await store.listSettingsHistory(0), []);
        }),
      );

      it(
        `${concurrency} concurrent updateSettings calls lose no history entry`,
        withStore(async ({ store }) => {
          await Promise.all(
            Array.from({ length: concurrency }, (_, i) =>
              call(() =>
                store.updateSettings({ accessTokenTtlSeconds: 100 + i }, [
                  change('accessTokenTtlSeconds', 30, 100 + i, T0 + i, i),
                ]),
              ),
            ),
          );
          const history = await store.listSettingsHistory(concurrency + 10);
          assert.equal(history.length, concurrency);
          assert.equal(new Set(history.map((entry) => entry.changedBy)).size, concurrency);
        }),
      );
    });

    describe('throttling counters', () => {
      it(
        'hit starts a window of windowMs at the first hit with a count of 1',
        withStore(async ({ store }) => {
          assert.deepEqual(await store.hit('login:ada', 60_000, T0), { count: 1, resetAt: T0 + 60_000 });
        }),
      );

      it(
        'hit counts up within the window and keeps its end',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          await store.hit('login:ada', 60_000, T0 + 10_000);
          assert.deepEqual(await store.hit('login:ada', 60_000, T0 + 59_999), {
            count: 3,
            resetAt: T0 + 60_000,
          });
        }),
      );

      it(
        'hit restarts at 1 with a new window once the window has ended',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          await store.hit('login:ada', 60_000, T0 + 1_000);
          assert.deepEqual(await store.hit('login:ada', 60_000, T0 + 60_000), {
            count: 1,
            resetAt: T0 + 120_000,
          });
        }),
      );

      it(
        'hit decides by the now passed in, even far from the wall clock',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, 1_000);
          assert.deepEqual(await store.hit('login:ada', 60_000, 2_000), { count: 2, resetAt: 61_000 });
        }),
      );

      it(
        'counters are independent per key',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          await store.hit('login:ada', 60_000, T0);
          assert.deepEqual(await store.hit('login:grace', 60_000, T0 + 5), {
            count: 1,
            resetAt: T0 + 60_005,
          });
        }),
      );

      it(
        'peekHits reports the current window without counting a hit',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          await store.hit('login:ada', 60_000, T0 + 1);
          assert.deepEqual(await store.peekHits('login:ada', T0 + 2), { count: 2, resetAt: T0 + 60_000 });
          assert.deepEqual(await store.peekHits('login:ada', T0 + 3), { count: 2, resetAt: T0 + 60_000 });
        }),
      );

      it(
        'peekHits answers a count of 0 ending now for an unknown key',
        withStore(async ({ store }) => {
          assert.deepEqual(await store.peekHits('login:nobody', T0), { count: 0, resetAt: T0 });
        }),
      );

      it(
        'peekHits answers a count of 0 once the window has ended',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          assert.deepEqual(await store.peekHits('login:ada', T0 + 60_000), {
            count: 0,
            resetAt: T0 + 60_000,
          });
        }),
      );

      it(
        'resetHits forgets the counter',
        withStore(async ({ store }) => {
          await store.hit('login:ada', 60_000, T0);
          await store.resetHits('login:ada');
          assert.deepEqual(await store.peekHits('login:ada', T0 + 1), { count: 0, resetAt: T0 + 1 });
          assert.deepEqual(await store.hit('login:ada', 60_000, T0 + 2), { count: 1, resetAt: T0 + 60_002 });
        }),
      );

      it(
        `${concurrency} concurrent hits on one key count to ${concurrency}`,
        withStore(async ({ store }) => {
          const results = await Promise.all(
            Array.from({ length: concurrency }, () => call(() => store.hit('login:ada', 60_000, T0))),
          );
          assert.deepEqual(
            results.map((result) => result.count).sort((a, b) => a - b),
            Array.from({ length: concurrency }, (_, i) => i + 1),
          );
        }),
      );
    });

    describe('persistence (needs reopen)', () => {
      itReopen(
        'users, email claims and the id counter survive a reopen; ids are not reused',
        async (context) => {
          const ada = await context.store.createUser(newUser('ada@example.com'));
          const grace = await context.store.createUser(newUser('grace@example.com'));
          const store = await context.reopen();
          assert.deepEqual(await store.getUserById(ada.id), ada);
          assert.deepEqual(await store.getUserByEmailKey('grace@example.com'), grace);
          await assert.rejects(
            call(() => store.createUser(newUser('ada@example.com'))),
            isEmailTaken,
          );
          const next = await store.createUser(newUser('linus@example.com'));
          assert.ok(next.id > grace.id);
        },
      );

      itReopen('refresh tokens and their rotation state survive a reopen', async (context) => {
        const current = newToken('current', {
          userId: 1,
          familyId: 'f1',
          createdAt: T0,
          expiresAt: T0 + 60_000,
        });
        await context.store.createRefreshToken(current);
        await context.store.createRefreshToken(
          newToken('rotated', { userId: 1, familyId: 'f1', createdAt: T0, expiresAt: T0 + 60_000 }),
        );
        await context.store.consumeRefreshToken('rotated', T0 + 1_000);
        const store = await context.reopen();
        assert.deepEqual(await store.listUserRefreshTokens(1, T0 + 2_000), [current]);
        assert.equal((await store.consumeRefreshToken('rotated', T0 + 2_000)).status, 'reused');
        assert.equal(await store.deleteRefreshTokenFamily('f1'), 2);
      });

      itReopen('settings and their history survive a reopen', async (context) => {
        const entry = change('accessTokenTtlSeconds', 30, 45, T0, 1);
        await context.store.updateSettings({ accessTokenTtlSeconds: 45 }, [entry]);
        const store = await context.reopen();
        assert.deepEqual(await store.getSettings(), { accessTokenTtlSeconds: 45 });
        assert.deepEqual(await store.listSettingsHistory(5), [entry]);
      });

      itReopen('throttling counters survive a reopen', async (context) => {
        await context.store.hit('login:ada', 60_000, T0);
        const store = await context.reopen();
        assert.deepEqual(await store.hit('login:ada', 60_000, T0 + 1), { count: 2, resetAt: T0 + 60_000 });
      });
    });

    describe('garbage (needs countRecords)', () => {
      itCount('deleted tokens leave no record or index entry behind', async (context) => {
        const { store } = context;
        await store.createUser(newUser('ada@example.com'));
        const baseline = await context.countRecords(T0);
        for (let i = 0; i < 6; i++) {
          await store.createRefreshToken(
            newToken(`t${i}`, { userId: 1, familyId: `f${i % 3}`, createdAt: T0, expiresAt: T0 + 60_000 }),
          );
        }
        await store.consumeRefreshToken('t0', T0 + 1);
        await store.deleteRefreshToken('t1');
        await store.deleteRefreshTokenFamily('f2');
        await store.deleteUserRefreshTokens(1);
        assert.equal(await context.countRecords(T0 + 2), baseline);
      });

      itCount('expired tokens and ended counters are gone once garbage-collected', async (context) => {
        const { store } = context;
        const count = (now: number) => context.countRecords(now);
        await store.createUser(newUser('ada@example.com'));
        await store.updateSettings({ accessTokenTtlSeconds: 60 }, [
          change('accessTokenTtlSeconds', 30, 60, T0, null),
        ]);
        const baseline = await count(T0);
        for (let i = 0; i < 6; i++) {
          await store.createRefreshToken(
            newToken(`t${i}`, { userId: 1, familyId: `f${i % 2}`, createdAt: T0, expiresAt: T0 + 60_000 }),
          );
        }
        await store.consumeRefreshToken('t0', T0 + 1_000);
        await store.hit('login:ada', 60_000, T0);
        await store.hit('login:ip', 60_000, T0);
        assert.ok((await count(T0 + 2_000)) > baseline);
        assert.equal(await count(T0 + 60_000 + gcHorizonMs), baseline);
      });
    });

    describe('errors (needs breakBackend)', () => {
      itBreak('a failing backend makes reads reject instead of answering "not found"', async (context) => {
        const { store } = context;
        const ada = await store.createUser(newUser('ada@example.com'));
        await store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }));
        await context.breakBackend();
        // Records the store must fetch: an adapter may serve ones it holds in memory, but
        // it must never answer "no such user" because the backend failed.
        await assert.rejects(call(() => store.getUserById(ada.id + 1)));
        await assert.rejects(call(() => store.getUserByEmailKey('bob@example.com')));
        await assert.rejects(call(() => store.consumeRefreshToken('a1', T0 + 1)));
        await assert.rejects(call(() => store.listUserRefreshTokens(1, T0 + 1)));
        await assert.rejects(call(() => store.getSettings()));
        await assert.rejects(call(() => store.listSettingsHistory(5)));
        await assert.rejects(call(() => store.peekHits('login:ada', T0)));
      });

      itBreak('a failing backend makes writes reject', async (context) => {
        const { store } = context;
        await context.breakBackend();
        await assert.rejects(
          call(() => store.createUser(newUser('ada@example.com'))),
          isNotEmailTaken,
        );
        await assert.rejects(call(() => store.updateUser(1, { username: 'x' })));
        await assert.rejects(
          call(() => store.createRefreshToken(newToken('a1', { createdAt: T0, expiresAt: T0 + 60_000 }))),
        );
        await assert.rejects(call(() => store.deleteRefreshToken('a1')));
        await assert.rejects(call(() => store.deleteRefreshTokenFamily('f1')));
        await assert.rejects(call(() => store.deleteUserRefreshTokens(1)));
        await assert.rejects(call(() => store.updateSettings({ accessTokenTtlSeconds: 60 }, [])));
        await assert.rejects(call(() => store.hit('login:ada', 60_000, T0)));
        await assert.rejects(call(() => store.resetHits('login:ada')));
      });
    });
  });
}

/** Per-test state: the fixture and whichever store is current (reopen replaces it). */
class TestContext<F extends StoreFixture> {
  readonly #adapter: StoreHarness<F>;
  readonly fixture: F;
  store: TokenAuthStore;
  #closed = false;
  #broken = false;

  constructor(adapter: StoreHarness<F>, fixture: F) {
    this.#adapter = adapter;
    this.fixture = fixture;
    this.store = fixture.store;
  }

  /** Closes the current store and opens a new one over the same data. */
  async reopen(): Promise<TokenAuthStore> {
    const reopen = this.#adapter.reopen;
    if (!reopen) throw new Error('The harness has no reopen hook');
    await this.store.close();
    this.#closed = true;
    this.store = await reopen(this.fixture);
    this.#closed = false;
    return this.store;
  }

  /** Garbage-collects as of `now` and counts the backend's records. */
  countRecords(now: number): Promise<number> {
    const count = this.#adapter.countRecords;
    if (!count) throw new Error('The harness has no countRecords hook');
    return count(this.fixture, now);
  }

  /** Makes every later backend call fail. */
  async breakBackend(): Promise<void> {
    const breakBackend = this.#adapter.breakBackend;
    if (!breakBackend) throw new Error('The harness has no breakBackend hook');
    await breakBackend(this.fixture);
    this.#broken = true;
  }

  async closeCurrent(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A deliberately broken backend may fail to close; the test's verdict stands.
    if (this.#broken) await call(() => this.store.close()).catch(() => undefined);
    else await this.store.close();
  }
}

/** Calls `fn` asynchronously, so that a synchronous throw becomes a rejection. */
function call<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  return Promise.resolve().then(fn) as Promise<Awaited<T>>;
}

function newUser(email: string): NewUserRecord {
  return {
    email,
    emailKey: email.toLowerCase(),
    username: '',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    isStaff: false,
    isActive: true,
    createdAt: 1_000,
    updatedAt: 1_000,
  };
}

function newToken(tokenHash: string, fields: Partial<RefreshTokenRecord>): RefreshTokenRecord {
  return {
    tokenHash,
    userId: 1,
    familyId: 'family-1',
    createdAt: 1_000,
    expiresAt: 61_000,
    rotatedAt: null,
    ...fields,
  };
}

function change(
  key: SettingsChange['key'],
  oldValue: number,
  newValue: number,
  changedAt: number,
  changedBy: number | null,
): SettingsChange {
  return { key, oldValue, newValue, changedAt, changedBy };
}

/** Whether `error` is an `email_taken` error (by code, so duplicate package copies match). */
function isEmailTaken(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'email_taken';
}

function isNotEmailTaken(error: unknown): boolean {
  return error instanceof Error && !isEmailTaken(error);
}
