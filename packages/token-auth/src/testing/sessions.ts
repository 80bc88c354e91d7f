/**
 * Conformance tests of the session part of the port: startSession, rotate (every answer,
 * expiry before rotation, the rotated-token index, races), endSession, endUserSessions and
 * listSessions.
 *
 * @module
 */

import assert from 'node:assert/strict';
import type { NewSessionRecord, RotateResult, SessionRecord, TokenAuthStore } from '../stores/port.js';
import { DAY_MS, freshHash, MINUTE_MS, newHead, newSession, storedSession } from './fixtures.js';
import { call, range, type StoreFixture, type Suite } from './suite.js';

/** A session started at `start` and rotated three times, one second apart. */
export interface RotatedSession {
  /** What was passed to `startSession`. */
  started: NewSessionRecord;
  /** Every hash the session had, oldest first: `[older, grandparent, parent, head]`. */
  hashes: [string, string, string, string];
  /** The session as stored after the third rotation. */
  stored: SessionRecord;
}

/** Token expiries (ms after the start) of a session whose tokens each live one minute. */
const ONE_MINUTE_EACH = [MINUTE_MS, MINUTE_MS + 1_000, MINUTE_MS + 2_000, MINUTE_MS + 3_000] as const;

/**
 * Starts a session of `userId` at `start` and rotates it at `start + 1 s`, `+ 2 s` and
 * `+ 3 s`. By default each token lives one minute from its issue.
 *
 * @param expiries - The expiry of each of the four tokens, in ms after `start`.
 */
export async function rotatedSession(
  store: TokenAuthStore,
  userId: number,
  start: number,
  expiries: readonly [number, number, number, number] = ONE_MINUTE_EACH,
): Promise<RotatedSession> {
  const started = newSession({ userId, createdAt: start, expiresAt: start + expiries[0] });
  await store.startSession(started);
  const hashes = [started.headHash];
  let stored = storedSession(started);
  for (let i = 1; i <= 3; i++) {
    const now = start + i * 1_000;
    const result = await store.rotate(stored.headHash, newHead(start + (expiries[i] as number)), now);
    assert.equal(result.status, 'rotated', 'a fresh head must rotate');
    stored = (result as { session: SessionRecord }).session;
    hashes.push(stored.headHash);
  }
  return { started, hashes: hashes as RotatedSession['hashes'], stored };
}

/** The hashes of a {@link RotatedSession} by their place, for table tests. */
const GENERATIONS = [
  ['head', 3],
  ['parent', 2],
  ['grandparent', 1],
  ['older token', 0],
] as const;

/** The status of a rotate result. */
const statusOf = (result: RotateResult) => result.status;

/** Registers the session tests. */
export function sessionTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0, concurrency } = suite;
  // Far from the wall clock on both sides: a store must decide by the `now` passed in.
  const farPast = 1_000_000;
  const farFuture = Date.UTC(2125, 0, 1);

  suite.describe('sessions: startSession', () => {
    suite.it(
      'startSession stores a live session with lastUsedAt at createdAt and no rotation yet',
      async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0 });
        await c.store.startSession(session);
        assert.deepEqual(await c.store.listSessions(ada.id, t0), [
          { ...session, previousHash: null, rotatedAt: null, lastUsedAt: t0 },
        ]);
      },
    );

    suite.it('startSession stores a copy: changing the object passed in changes nothing', async (c) => {
      const ada = await c.user();
      const session = newSession({ userId: ada.id, createdAt: t0 });
      const expected = storedSession(session);
      await c.store.startSession(session);
      session.userAgent = 'changed';
      session.expiresAt = t0 + 1;
      assert.deepEqual(await c.store.listSessions(ada.id, t0), [expected]);
    });
  });

  suite.describe('sessions: rotate', () => {
    suite.it(
      'rotate of the head answers rotated: previousHash, headHash, expiresAt, rotatedAt and lastUsedAt move, the rest stays',
      async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0, userAgent: 'agent/2' });
        await c.store.startSession(session);
        const next = newHead(t0 + 2 * MINUTE_MS);
        assert.deepEqual(await c.store.rotate(session.headHash, next, t0 + 5_000), {
          status: 'rotated',
          session: {
            id: session.id,
            userId: ada.id,
            headHash: next.hash,
            previousHash: session.headHash,
            rotatedAt: t0 + 5_000,
            createdAt: t0,
            lastUsedAt: t0 + 5_000,
            expiresAt: t0 + 2 * MINUTE_MS,
            userAgent: 'agent/2',
          },
        });
      },
    );

    suite.it('rotate stores the moved session: listSessions shows what rotate answered', async (c) => {
      const ada = await c.user();
      const session = newSession({ userId: ada.id, createdAt: t0 });
      await c.store.startSession(session);
      const result = await c.store.rotate(session.headHash, newHead(t0 + 2 * MINUTE_MS), t0 + 5_000);
      assert.equal(result.status, 'rotated');
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 6_000), [
        (result as { session: SessionRecord }).session,
      ]);
    });

    suite.it('the new head rotates in turn, and its predecessor becomes previousHash', async (c) => {
      const ada = await c.user();
      const { hashes, stored } = await rotatedSession(c.store, ada.id, t0);
      assert.equal(stored.previousHash, hashes[2]);
      assert.equal(stored.headHash, hashes[3]);
      assert.equal(stored.rotatedAt, t0 + 3_000);
      assert.equal(stored.lastUsedAt, t0 + 3_000);
      assert.equal(stored.expiresAt, t0 + 3_000 + MINUTE_MS);
    });

    const answers = [
      ['parent', 2, 'parent'],
      ['grandparent', 1, 'reused'],
      ['older token', 0, 'reused'],
    ] as const;
    for (const [name, index, status] of answers) {
      suite.it(
        `rotate of the ${name} of a live session answers ${status} with the session as stored`,
        async (c) => {
          const ada = await c.user();
          const { hashes, stored } = await rotatedSession(c.store, ada.id, t0);
          assert.deepEqual(await c.store.rotate(hashes[index], newHead(t0 + 2 * MINUTE_MS), t0 + 10_000), {
            status,
            session: stored,
          });
        },
      );
    }

    const unchanged = [
      ['the parent', (h: string[]) => h[2] as string, t0 + 10_000],
      ['the grandparent', (h: string[]) => h[1] as string, t0 + 10_000],
      ['an unknown hash', () => freshHash(), t0 + 10_000],
      ['the head of an expired session', (h: string[]) => h[3] as string, t0 + 3_000 + MINUTE_MS],
      ['the parent of an expired session', (h: string[]) => h[2] as string, t0 + 3_000 + MINUTE_MS],
    ] as const;
    for (const [name, pick, now] of unchanged) {
      suite.it(`rotate of ${name} changes nothing: the head stays and still rotates`, async (c) => {
        const ada = await c.user();
        const { hashes, stored } = await rotatedSession(c.store, ada.id, t0);
        const answer = await c.store.rotate(pick(hashes), newHead(now + MINUTE_MS), now);
        assert.notEqual(answer.status, 'rotated');
        assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), [stored]);
        assert.equal(
          statusOf(await c.store.rotate(hashes[3], newHead(t0 + MINUTE_MS), t0 + 4_000)),
          'rotated',
        );
      });
    }

    suite.it('a repeated parent answer keeps rotatedAt anchored at the rotation', async (c) => {
      const ada = await c.user();
      const { hashes, stored } = await rotatedSession(c.store, ada.id, t0);
      const first = await c.store.rotate(hashes[2], newHead(t0 + 2 * MINUTE_MS), t0 + 10_000);
      const second = await c.store.rotate(hashes[2], newHead(t0 + 2 * MINUTE_MS), t0 + 20_000);
      assert.deepEqual(first, { status: 'parent', session: stored });
      assert.deepEqual(second, { status: 'parent', session: stored });
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 20_000), [stored]);
    });

    const expiries = [
      ['head', 3, 0, 'expired'],
      ['head', 3, -1, 'rotated'],
      ['parent', 2, 0, 'expired'],
      ['grandparent', 1, 0, 'expired'],
      ['older token', 0, 1, 'expired'],
      ['parent', 2, -1, 'parent'],
    ] as const;
    // Each rotation shortens the session (as a lowered refresh lifetime does), so that the
    // older tokens are still within their own lifetime when the session expires.
    const shrinking = [DAY_MS, MINUTE_MS + 2_000, MINUTE_MS + 1_000, MINUTE_MS] as const;
    for (const [name, index, offset, status] of expiries) {
      const when = offset === 0 ? 'at' : offset < 0 ? 'one millisecond before' : 'one millisecond after';
      suite.it(`rotate of the ${name} ${when} the session's expiresAt answers ${status}`, async (c) => {
        const ada = await c.user();
        const { hashes, stored } = await rotatedSession(c.store, ada.id, t0, shrinking);
        const now = stored.expiresAt + offset;
        assert.equal(statusOf(await c.store.rotate(hashes[index], newHead(now + MINUTE_MS), now)), status);
      });
    }

    suite.it('rotate answers expired with no session', async (c) => {
      const ada = await c.user();
      const { hashes, stored } = await rotatedSession(c.store, ada.id, t0);
      assert.deepEqual(await c.store.rotate(hashes[3], newHead(t0 + DAY_MS), stored.expiresAt), {
        status: 'expired',
      });
    });

    suite.it('rotate of a hash no session ever had answers unknown', async (c) => {
      const ada = await c.user();
      await rotatedSession(c.store, ada.id, t0);
      assert.deepEqual(await c.store.rotate(freshHash(), newHead(t0 + MINUTE_MS), t0 + 4_000), {
        status: 'unknown',
      });
    });

    const clocks = [
      ['a session of 1970 rotates one millisecond before its expiry', farPast, MINUTE_MS - 1, 'rotated'],
      ['a session of 1970 answers expired at its expiry', farPast, MINUTE_MS, 'expired'],
      ['a session of 2125 rotates one millisecond before its expiry', farFuture, MINUTE_MS - 1, 'rotated'],
      ['a session of 2125 answers expired at its expiry', farFuture, MINUTE_MS, 'expired'],
    ] as const;
    for (const [title, start, after, status] of clocks) {
      suite.it(`rotate decides by the now passed in, not the wall clock: ${title}`, async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: start, expiresAt: start + MINUTE_MS });
        await c.store.startSession(session);
        const now = start + after;
        assert.equal(statusOf(await c.store.rotate(session.headHash, newHead(now + MINUTE_MS), now)), status);
      });
    }

    suite.it(
      'a rotated token stays recognised (reused) until its own expiry while the session lives on',
      async (c) => {
        const ada = await c.user();
        // The first token lives a day; the session is renewed for a week at each rotation.
        const session = newSession({ userId: ada.id, createdAt: t0, expiresAt: t0 + DAY_MS });
        await c.store.startSession(session);
        const second = newHead(t0 + 7 * DAY_MS);
        await c.store.rotate(session.headHash, second, t0 + 1_000);
        await c.store.rotate(second.hash, newHead(t0 + 7 * DAY_MS), t0 + 2_000);
        const now = t0 + DAY_MS - 1;
        await c.collectGarbage(now);
        assert.equal(statusOf(await c.store.rotate(session.headHash, newHead(now + DAY_MS), now)), 'reused');
      },
    );

    suite.it(
      'the parent stays recognised (parent) until its own expiry while the session lives on',
      async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0, expiresAt: t0 + DAY_MS });
        await c.store.startSession(session);
        await c.store.rotate(session.headHash, newHead(t0 + 7 * DAY_MS), t0 + 1_000);
        const now = t0 + DAY_MS - 1;
        await c.collectGarbage(now);
        assert.equal(statusOf(await c.store.rotate(session.headHash, newHead(now + DAY_MS), now)), 'parent');
      },
    );

    suite.it(
      `of ${concurrency} concurrent rotate calls with one head exactly one answers rotated, the others parent`,
      async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0 });
        await c.store.startSession(session);
        const heads = range(concurrency).map(() => newHead(t0 + 2 * MINUTE_MS));
        const results = await Promise.all(
          heads.map((head) => call(() => c.store.rotate(session.headHash, head, t0 + 1_000))),
        );
        const winners = results.filter((result) => result.status === 'rotated');
        assert.equal(winners.length, 1);
        const winner = (winners[0] as { session: SessionRecord }).session;
        for (const result of results) {
          if (result.status !== 'rotated') assert.deepEqual(result, { status: 'parent', session: winner });
        }
      },
    );

    suite.it(
      'after a race of rotate calls only the winner successor rotates; the losers are unknown',
      async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0 });
        await c.store.startSession(session);
        const heads = range(Math.min(concurrency, 8)).map(() => newHead(t0 + 2 * MINUTE_MS));
        const results = await Promise.all(
          heads.map((head) => call(() => c.store.rotate(session.headHash, head, t0 + 1_000))),
        );
        const winnerIndex = results.findIndex((result) => result.status === 'rotated');
        const now = t0 + 2_000;
        for (const [i, head] of heads.entries()) {
          const expected = i === winnerIndex ? 'rotated' : 'unknown';
          assert.equal(statusOf(await c.store.rotate(head.hash, newHead(now + MINUTE_MS), now)), expected);
        }
      },
    );

    suite.it(`${concurrency} concurrent rotations of distinct sessions all answer rotated`, async (c) => {
      const ada = await c.user();
      const sessions = range(concurrency).map(() => newSession({ userId: ada.id, createdAt: t0 }));
      for (const session of sessions) await c.store.startSession(session);
      const results = await Promise.all(
        sessions.map((s) => call(() => c.store.rotate(s.headHash, newHead(t0 + MINUTE_MS), t0 + 1))),
      );
      assert.deepEqual(
        results.map(statusOf),
        sessions.map(() => 'rotated'),
      );
    });

    suite.it('rotate returns a copy: changing the session it answered changes nothing stored', async (c) => {
      const ada = await c.user();
      const session = newSession({ userId: ada.id, createdAt: t0 });
      await c.store.startSession(session);
      const result = await c.store.rotate(session.headHash, newHead(t0 + MINUTE_MS), t0 + 1);
      const { session: answered } = result as { session: SessionRecord };
      const expected = { ...answered };
      answered.userId = 999;
      answered.expiresAt = t0 + 2;
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 3), [expected]);
    });
  });

  suite.describe('sessions: endSession', () => {
    suite.it('endSession answers true and the session leaves listSessions', async (c) => {
      const ada = await c.user();
      const { started } = await rotatedSession(c.store, ada.id, t0);
      assert.equal(await c.store.endSession(ada.id, started.id), true);
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), []);
    });

    for (const [name, index] of GENERATIONS) {
      suite.it(`after endSession the ${name} of the session answers unknown`, async (c) => {
        const ada = await c.user();
        const { started, hashes } = await rotatedSession(c.store, ada.id, t0);
        await c.store.endSession(ada.id, started.id);
        assert.deepEqual(await c.store.rotate(hashes[index], newHead(t0 + MINUTE_MS), t0 + 4_000), {
          status: 'unknown',
        });
      });
    }

    suite.it('endSession of a session already ended answers false', async (c) => {
      const ada = await c.user();
      const { started } = await rotatedSession(c.store, ada.id, t0);
      await c.store.endSession(ada.id, started.id);
      assert.equal(await c.store.endSession(ada.id, started.id), false);
    });

    suite.it('endSession of a session id never started answers false', async (c) => {
      const ada = await c.user();
      await rotatedSession(c.store, ada.id, t0);
      assert.equal(await c.store.endSession(ada.id, '00000000-0000-4000-8000-000000000000'), false);
    });

    suite.it(
      "endSession with another user's id answers false and leaves the session untouched",
      async (c) => {
        const [ada, grace] = await c.twoUsers();
        const { started, stored, hashes } = await rotatedSession(c.store, ada.id, t0);
        assert.equal(await c.store.endSession(grace.id, started.id), false);
        assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), [stored]);
        assert.equal(
          statusOf(await c.store.rotate(hashes[3], newHead(t0 + MINUTE_MS), t0 + 4_000)),
          'rotated',
        );
      },
    );

    suite.it("endSession leaves the user's other sessions alone", async (c) => {
      const ada = await c.user();
      const first = await rotatedSession(c.store, ada.id, t0);
      const second = await rotatedSession(c.store, ada.id, t0 + 1);
      await c.store.endSession(ada.id, first.started.id);
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), [second.stored]);
    });

    suite.it(
      `of ${concurrency} concurrent endSession calls for one session exactly one answers true`,
      async (c) => {
        const ada = await c.user();
        const { started } = await rotatedSession(c.store, ada.id, t0);
        const results = await Promise.all(
          range(concurrency).map(() => call(() => c.store.endSession(ada.id, started.id))),
        );
        assert.equal(results.filter(Boolean).length, 1);
      },
    );

    suite.it(
      'a rotate racing endSession leaves every hash of the session unknown, the successor too',
      async (c) => {
        const ada = await c.user();
        const { started, hashes } = await rotatedSession(c.store, ada.id, t0);
        const next = newHead(t0 + 2 * MINUTE_MS);
        const [rotated, ended] = await Promise.all([
          call(() => c.store.rotate(hashes[3], next, t0 + 4_000)),
          call(() => c.store.endSession(ada.id, started.id)),
        ]);
        assert.ok(['rotated', 'unknown'].includes(rotated.status), `rotate answered ${rotated.status}`);
        assert.equal(ended, true);
        for (const hash of [...hashes, next.hash]) {
          assert.deepEqual(await c.store.rotate(hash, newHead(t0 + MINUTE_MS), t0 + 5_000), {
            status: 'unknown',
          });
        }
      },
    );
  });

  suite.describe('sessions: endUserSessions', () => {
    suite.it('endUserSessions ends every session of the user and answers how many', async (c) => {
      const ada = await c.user();
      for (let i = 0; i < 3; i++) await rotatedSession(c.store, ada.id, t0 + i);
      assert.equal(await c.store.endUserSessions(ada.id), 3);
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), []);
    });

    for (const [name, index] of GENERATIONS) {
      suite.it(`after endUserSessions the ${name} of an ended session answers unknown`, async (c) => {
        const ada = await c.user();
        const { hashes } = await rotatedSession(c.store, ada.id, t0);
        await c.store.endUserSessions(ada.id);
        assert.deepEqual(await c.store.rotate(hashes[index], newHead(t0 + MINUTE_MS), t0 + 4_000), {
          status: 'unknown',
        });
      });
    }

    suite.it("endUserSessions leaves other users' sessions alone", async (c) => {
      const [ada, grace] = await c.twoUsers();
      await rotatedSession(c.store, ada.id, t0);
      const theirs = await rotatedSession(c.store, grace.id, t0);
      await c.store.endUserSessions(ada.id);
      assert.deepEqual(await c.store.listSessions(grace.id, t0 + 4_000), [theirs.stored]);
      assert.equal(statusOf(await c.store.rotate(theirs.hashes[2], newHead(t0), t0 + 4_000)), 'parent');
    });

    suite.it('endUserSessions keeps the session named by except and counts only the others', async (c) => {
      const ada = await c.user();
      const kept = await rotatedSession(c.store, ada.id, t0);
      await rotatedSession(c.store, ada.id, t0 + 1);
      await rotatedSession(c.store, ada.id, t0 + 2);
      assert.equal(await c.store.endUserSessions(ada.id, { except: kept.started.id }), 2);
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 4_000), [kept.stored]);
    });

    suite.it('the session named by except still rotates after endUserSessions', async (c) => {
      const ada = await c.user();
      const kept = await rotatedSession(c.store, ada.id, t0);
      await rotatedSession(c.store, ada.id, t0 + 1);
      await c.store.endUserSessions(ada.id, { except: kept.started.id });
      assert.equal(statusOf(await c.store.rotate(kept.hashes[3], newHead(t0), t0 + 4_000)), 'rotated');
    });

    suite.it('endUserSessions answers 0 for a user without sessions', async (c) => {
      const [ada, grace] = await c.twoUsers();
      await rotatedSession(c.store, grace.id, t0);
      assert.equal(await c.store.endUserSessions(ada.id), 0);
    });

    suite.it('concurrent endUserSessions calls count each session once', async (c) => {
      const ada = await c.user();
      for (let i = 0; i < 5; i++)
        await c.store.startSession(newSession({ userId: ada.id, createdAt: t0 + i }));
      const counts = await Promise.all(
        range(Math.min(concurrency, 10)).map(() => call(() => c.store.endUserSessions(ada.id))),
      );
      assert.equal(
        counts.reduce((sum, count) => sum + count, 0),
        5,
      );
    });

    suite.it('concurrent endSession and endUserSessions calls count each session once', async (c) => {
      const ada = await c.user();
      const sessions = range(5).map((i) => newSession({ userId: ada.id, createdAt: t0 + i }));
      for (const session of sessions) await c.store.startSession(session);
      const results = await Promise.all([
        ...sessions.map((session) => call(() => c.store.endSession(ada.id, session.id))),
        call(() => c.store.endUserSessions(ada.id)),
        call(() => c.store.endUserSessions(ada.id)),
      ]);
      assert.equal(
        results.reduce<number>((sum, result) => sum + Number(result), 0),
        5,
      );
    });
  });

  suite.describe('sessions: listSessions', () => {
    suite.it('listSessions answers [] for a user without sessions', async (c) => {
      const [ada, grace] = await c.twoUsers();
      await c.store.startSession(newSession({ userId: grace.id, createdAt: t0 }));
      assert.deepEqual(await c.store.listSessions(ada.id, t0), []);
    });

    suite.it('listSessions orders the sessions by createdAt, oldest first', async (c) => {
      const ada = await c.user();
      const sessions = [3, 1, 2].map((i) => newSession({ userId: ada.id, createdAt: t0 + i * 1_000 }));
      for (const session of sessions) await c.store.startSession(session);
      const listed = await c.store.listSessions(ada.id, t0 + 5_000);
      assert.deepEqual(
        listed.map((session) => session.createdAt),
        [t0 + 1_000, t0 + 2_000, t0 + 3_000],
      );
    });

    suite.it('listSessions orders by createdAt, not by the last rotation', async (c) => {
      const ada = await c.user();
      const older = newSession({ userId: ada.id, createdAt: t0 });
      const newer = newSession({ userId: ada.id, createdAt: t0 + 1_000 });
      await c.store.startSession(older);
      await c.store.startSession(newer);
      await c.store.rotate(older.headHash, newHead(t0 + MINUTE_MS), t0 + 2_000);
      const listed = await c.store.listSessions(ada.id, t0 + 3_000);
      assert.deepEqual(
        listed.map((session) => session.id),
        [older.id, newer.id],
      );
    });

    const liveness = [
      ['excludes a session at its expiresAt', 0, 0],
      ['includes a session one millisecond before its expiresAt', -1, 1],
      ['excludes a session past its expiresAt', 1, 0],
    ] as const;
    for (const [title, offset, count] of liveness) {
      suite.it(`listSessions ${title}`, async (c) => {
        const ada = await c.user();
        const session = newSession({ userId: ada.id, createdAt: t0, expiresAt: t0 + MINUTE_MS });
        await c.store.startSession(session);
        assert.equal((await c.store.listSessions(ada.id, t0 + MINUTE_MS + offset)).length, count);
      });
    }

    suite.it('listSessions excludes an expired session but keeps the live ones', async (c) => {
      const ada = await c.user();
      const short = newSession({ userId: ada.id, createdAt: t0, expiresAt: t0 + 1_000 });
      const long = newSession({ userId: ada.id, createdAt: t0 + 1, expiresAt: t0 + MINUTE_MS });
      await c.store.startSession(short);
      await c.store.startSession(long);
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 1_000), [storedSession(long)]);
    });

    const listClocks = [
      ['lists a session of 1970 before its expiry', farPast, MINUTE_MS - 1, 1],
      ['leaves out a session of 2125 at its expiry', farFuture, MINUTE_MS, 0],
    ] as const;
    for (const [title, start, after, count] of listClocks) {
      suite.it(`listSessions decides by the now passed in, not the wall clock: it ${title}`, async (c) => {
        const ada = await c.user();
        await c.store.startSession(
          newSession({ userId: ada.id, createdAt: start, expiresAt: start + MINUTE_MS }),
        );
        assert.equal((await c.store.listSessions(ada.id, start + after)).length, count);
      });
    }

    suite.it("listSessions never shows another user's sessions", async (c) => {
      const [ada, grace] = await c.twoUsers();
      const mine = newSession({ userId: ada.id, createdAt: t0 });
      await c.store.startSession(mine);
      await c.store.startSession(newSession({ userId: grace.id, createdAt: t0 - 1 }));
      await c.store.startSession(newSession({ userId: grace.id, createdAt: t0 + 1 }));
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 2), [storedSession(mine)]);
    });

    suite.it('listSessions returns copies: changing them changes nothing stored', async (c) => {
      const ada = await c.user();
      const session = newSession({ userId: ada.id, createdAt: t0 });
      await c.store.startSession(session);
      for (const listed of await c.store.listSessions(ada.id, t0 + 1)) {
        listed.headHash = 'changed';
        listed.expiresAt = t0;
      }
      assert.deepEqual(await c.store.listSessions(ada.id, t0 + 1), [storedSession(session)]);
    });
  });
}
