/**
 * Conformance tests of the throttling counters: hit, peekHits and resetHits, and an atomic
 * hit under concurrency.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { call, range, type StoreFixture, type Suite } from './suite.js';

/** Registers the throttling-counter tests. */
export function throttleTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0, concurrency } = suite;
  const windowMs = 60_000;

  suite.describe('throttling counters', () => {
    // Each row: hits at these offsets from t0, then the result of one more hit at `at`.
    const hits = [
      ['hit starts a window of windowMs at the first hit with a count of 1', [], 0, 1, windowMs],
      ['hit counts up within the window and keeps its end', [0, 10_000], windowMs - 1, 3, windowMs],
      [
        'hit restarts at 1 with a new window once the window has ended',
        [0, 1_000],
        windowMs,
        1,
        2 * windowMs,
      ],
      ['hit restarts at 1 after a long pause', [0], 10 * windowMs + 5, 1, 11 * windowMs + 5],
    ] as const;
    for (const [title, before, at, count, resetOffset] of hits) {
      suite.it(title, async ({ store }) => {
        for (const offset of before) await store.hit('login:ada', windowMs, t0 + offset);
        assert.deepEqual(await store.hit('login:ada', windowMs, t0 + at), {
          count,
          resetAt: t0 + resetOffset,
        });
      });
    }

    suite.it('hit decides by the now passed in, even far from the wall clock', async ({ store }) => {
      await store.hit('login:ada', windowMs, 1_000);
      assert.deepEqual(await store.hit('login:ada', windowMs, 2_000), { count: 2, resetAt: 61_000 });
    });

    suite.it('counters are independent per key', async ({ store }) => {
      await store.hit('login:ada', windowMs, t0);
      await store.hit('login:ada', windowMs, t0);
      assert.deepEqual(await store.hit('login:grace', windowMs, t0 + 5), { count: 1, resetAt: t0 + 60_005 });
    });

    suite.it('peekHits reports the current window without counting a hit', async ({ store }) => {
      await store.hit('login:ada', windowMs, t0);
      await store.hit('login:ada', windowMs, t0 + 1);
      assert.deepEqual(await store.peekHits('login:ada', t0 + 2), { count: 2, resetAt: t0 + windowMs });
      assert.deepEqual(await store.peekHits('login:ada', t0 + 3), { count: 2, resetAt: t0 + windowMs });
    });

    const empty = [
      ['peekHits answers a count of 0 ending now for an unknown key', 'login:nobody', windowMs - 1],
      ['peekHits answers a count of 0 ending now once the window has ended', 'login:ada', windowMs],
    ] as const;
    for (const [title, key, at] of empty) {
      suite.it(title, async ({ store }) => {
        await store.hit('login:ada', windowMs, t0);
        assert.deepEqual(await store.peekHits(key, t0 + at), { count: 0, resetAt: t0 + at });
      });
    }

    suite.it(
      'resetHits forgets the counter: peekHits answers 0 and the next hit starts at 1',
      async ({ store }) => {
        await store.hit('login:ada', windowMs, t0);
        await store.resetHits('login:ada');
        assert.deepEqual(await store.peekHits('login:ada', t0 + 1), { count: 0, resetAt: t0 + 1 });
        assert.deepEqual(await store.hit('login:ada', windowMs, t0 + 2), { count: 1, resetAt: t0 + 60_002 });
      },
    );

    suite.it('resetHits leaves other counters alone and accepts an unknown key', async ({ store }) => {
      await store.hit('login:ada', windowMs, t0);
      await store.resetHits('login:grace');
      await store.resetHits('login:nobody');
      assert.deepEqual(await store.peekHits('login:ada', t0 + 1), { count: 1, resetAt: t0 + windowMs });
    });

    suite.it(`${concurrency} concurrent hits on one key count 1 to ${concurrency}`, async ({ store }) => {
      const results = await Promise.all(
        range(concurrency).map(() => call(() => store.hit('login:ada', windowMs, t0))),
      );
      assert.deepEqual(
        results.map((result) => result.count).sort((a, b) => a - b),
        range(concurrency).map((i) => i + 1),
      );
      assert.deepEqual(await store.peekHits('login:ada', t0), { count: concurrency, resetAt: t0 + windowMs });
    });
  });
}
