/**
 * Conformance tests of persistence (need `reopen`): users, the id counter, sessions with
 * their rotation state, ended sessions, settings and counters survive a restart.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { isEmailTaken, MINUTE_MS, newHead, newUser, settingsChange } from './fixtures.js';
import { rotatedSession } from './sessions.js';
import { call, type StoreFixture, type Suite } from './suite.js';

/** Registers the persistence tests. */
export function persistenceTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0 } = suite;
  const now = t0 + 4_000;

  suite.describe('persistence (needs reopen)', () => {
    suite.itWith('reopen', 'users and email claims survive a reopen', async (c) => {
      const ada = await c.store.createUser(newUser('ada@example.com'));
      const store = await c.reopen();
      assert.deepEqual(await store.getUserById(ada.id), ada);
      assert.deepEqual(await store.getUserByEmailKey('ada@example.com'), ada);
      await assert.rejects(
        call(() => store.createUser(newUser('ada@example.com'))),
        isEmailTaken,
      );
    });

    suite.itWith('reopen', 'ids are not reused after a reopen', async (c) => {
      await c.store.createUser(newUser('ada@example.com'));
      const grace = await c.store.createUser(newUser('grace@example.com'));
      const store = await c.reopen();
      assert.ok((await store.createUser(newUser('linus@example.com'))).id > grace.id);
    });

    suite.itWith('reopen', 'a session and its rotation state survive a reopen', async (c) => {
      const ada = await c.user();
      const { stored, hashes } = await rotatedSession(c.store, ada.id, t0);
      const store = await c.reopen();
      assert.deepEqual(await store.listSessions(ada.id, now), [stored]);
      assert.deepEqual(
        [
          (await store.rotate(hashes[1], newHead(now + MINUTE_MS), now)).status,
          (await store.rotate(hashes[2], newHead(now + MINUTE_MS), now)).status,
          (await store.rotate(hashes[3], newHead(now + MINUTE_MS), now)).status,
        ],
        ['reused', 'parent', 'rotated'],
      );
    });

    suite.itWith('reopen', 'an ended session stays ended after a reopen', async (c) => {
      const ada = await c.user();
      const { started, hashes } = await rotatedSession(c.store, ada.id, t0);
      await c.store.endSession(ada.id, started.id);
      const store = await c.reopen();
      assert.deepEqual(await store.rotate(hashes[3], newHead(now + MINUTE_MS), now), { status: 'unknown' });
      assert.equal(await store.endSession(ada.id, started.id), false);
    });

    suite.itWith('reopen', 'settings and their history survive a reopen', async (c) => {
      const entry = settingsChange('accessTokenTtlSeconds', 30, 45, t0, 1);
      await c.store.updateSettings({ accessTokenTtlSeconds: 45 }, [entry]);
      const store = await c.reopen();
      assert.deepEqual(await store.getSettings(), { accessTokenTtlSeconds: 45 });
      assert.deepEqual(await store.listSettingsHistory(5), [entry]);
    });

    suite.itWith('reopen', 'throttling counters survive a reopen', async (c) => {
      await c.store.hit('login:ada', 60_000, t0);
      const store = await c.reopen();
      assert.deepEqual(await store.hit('login:ada', 60_000, t0 + 1), { count: 2, resetAt: t0 + 60_000 });
    });
  });
}
