/**
 * Conformance tests of failures (need `breakBackend`): once the backend fails, every call
 * rejects. A read never turns the failure into "not found" (`undefined`, `unknown`, `[]`,
 * `false`, a zero count).
 *
 * @module
 */

import assert from 'node:assert/strict';
import type { TokenAuthStore } from '../stores/port.js';
import { freshHash, isEmailTaken, newHead, newSession, newUser, settingsChange } from './fixtures.js';
import { rotatedSession } from './sessions.js';
import { call, type StoreFixture, type Suite } from './suite.js';

/** What each failing call may use: records stored before the backend broke. */
interface Seeded {
  userId: number;
  sessionId: string;
  hashes: [string, string, string, string];
}

/** Registers the failure tests. */
export function failureTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0 } = suite;
  const now = t0 + 4_000;
  // Reads first: each would have a plausible "not found" answer to hide the failure behind.
  // Records the store must fetch: an adapter may serve ones it caches (a user by id), never
  // answer "no such record" because the backend failed.
  const calls: [string, (store: TokenAuthStore, seeded: Seeded) => unknown][] = [
    ['getUserById of an id not cached', (s, { userId }) => s.getUserById(userId + 1)],
    ['getUserByEmailKey', (s) => s.getUserByEmailKey('nobody@example.com')],
    ['rotate of the head', (s, { hashes }) => s.rotate(hashes[3], newHead(now + 60_000), now)],
    ['rotate of the parent', (s, { hashes }) => s.rotate(hashes[2], newHead(now + 60_000), now)],
    ['rotate of an unknown hash', (s) => s.rotate(freshHash(), newHead(now + 60_000), now)],
    ['listSessions', (s, { userId }) => s.listSessions(userId, now)],
    ['endSession', (s, { userId, sessionId }) => s.endSession(userId, sessionId)],
    ['endUserSessions', (s, { userId }) => s.endUserSessions(userId)],
    ['getSettings', (s) => s.getSettings()],
    ['listSettingsHistory', (s) => s.listSettingsHistory(5)],
    ['peekHits', (s) => s.peekHits('login:ada', now)],
    ['hit', (s) => s.hit('login:ada', 60_000, now)],
    ['resetHits', (s) => s.resetHits('login:ada')],
    ['updateUser', (s, { userId }) => s.updateUser(userId, { username: 'x' })],
    ['startSession', (s, { userId }) => s.startSession(newSession({ userId, createdAt: now }))],
    ['updateSettings', (s) => s.updateSettings({ accessTokenTtlSeconds: 60 }, [])],
  ];

  suite.describe('failures (needs breakBackend)', () => {
    for (const [name, run] of calls) {
      suite.itWith('breakBackend', `${name} rejects once the backend fails`, async (c) => {
        const ada = await c.user();
        const { started, hashes } = await rotatedSession(c.store, ada.id, t0);
        await c.store.hit('login:ada', 60_000, t0);
        await c.store.updateSettings({ accessTokenTtlSeconds: 30 }, [
          settingsChange('accessTokenTtlSeconds', 900, 30, t0, null),
        ]);
        await c.breakBackend();
        const seeded = { userId: ada.id, sessionId: started.id, hashes };
        await assert.rejects(call(() => run(c.store, seeded)));
      });
    }

    suite.itWith(
      'breakBackend',
      'createUser rejects once the backend fails, with its own error, not email_taken',
      async (c) => {
        await c.breakBackend();
        await assert.rejects(
          call(() => c.store.createUser(newUser('ada@example.com'))),
          (error: unknown) => error instanceof Error && !isEmailTaken(error),
        );
      },
    );
  });
}
