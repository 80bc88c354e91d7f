/**
 * Conformance tests of garbage (need `countRecords`): ended and expired sessions, the
 * rotated-token index and ended counters do not pile up.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { MINUTE_MS, newHead, newSession, settingsChange } from './fixtures.js';
import { rotatedSession } from './sessions.js';
import type { StoreFixture, Suite } from './suite.js';

/** Registers the garbage tests. */
export function gcTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0, gcHorizonMs } = suite;

  suite.describe('garbage (needs countRecords)', () => {
    suite.itWith(
      'countRecords',
      'ended sessions leave nothing behind once their tokens expired',
      async (c) => {
        const ada = await c.user();
        const baseline = await c.countRecords(t0);
        const ended = await rotatedSession(c.store, ada.id, t0);
        await rotatedSession(c.store, ada.id, t0 + 1);
        await rotatedSession(c.store, ada.id, t0 + 2);
        await c.store.endSession(ada.id, ended.started.id);
        await c.store.endUserSessions(ada.id);
        assert.equal(await c.countRecords(t0 + 3_002 + MINUTE_MS + gcHorizonMs), baseline);
      },
    );

    suite.itWith(
      'countRecords',
      'expired sessions, their rotated tokens and ended counters are gone',
      async (c) => {
        const ada = await c.user();
        await c.store.updateSettings({ accessTokenTtlSeconds: 60 }, [
          settingsChange('accessTokenTtlSeconds', 30, 60, t0, null),
        ]);
        const baseline = await c.countRecords(t0);
        for (let i = 0; i < 3; i++) await rotatedSession(c.store, ada.id, t0 + i);
        await c.store.startSession(newSession({ userId: ada.id, createdAt: t0 }));
        await c.store.hit('login:ada', 60_000, t0);
        await c.store.hit('login:ip', 60_000, t0);
        assert.ok((await c.countRecords(t0 + 5_000)) > baseline);
        assert.equal(await c.countRecords(t0 + 3_002 + MINUTE_MS + gcHorizonMs), baseline);
      },
    );

    suite.itWith(
      'countRecords',
      'a session that keeps rotating holds a bounded number of records: old rotated tokens go',
      async (c) => {
        const ada = await c.user();
        // Rotate once per horizon, each token living two horizons: a rotated token is
        // collectable three rotations later, so the count repeats from rotation to rotation.
        const step = gcHorizonMs;
        const session = newSession({ userId: ada.id, createdAt: t0, expiresAt: t0 + 2 * step });
        await c.store.startSession(session);
        let head = session.headHash;
        const counts: number[] = [];
        for (let i = 1; i <= 12; i++) {
          const now = t0 + i * step;
          const next = newHead(now + 2 * step);
          const result = await c.store.rotate(head, next, now);
          assert.equal(result.status, 'rotated');
          head = next.hash;
          counts.push(await c.countRecords(now + step / 2));
        }
        assert.equal(counts[11], counts[5], `records after each rotation: ${counts.join(', ')}`);
      },
    );
  });
}
