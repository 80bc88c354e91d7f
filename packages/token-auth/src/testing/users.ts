/**
 * Conformance tests of the user part of the port: ids, the unique email key (also under
 * concurrent creations and email changes), updateUser semantics and copies.
 *
 * @module
 */

import assert from 'node:assert/strict';
import type { UserRecord } from '../stores/port.js';
import { isEmailTaken, newUser } from './fixtures.js';
import { call, range, type StoreFixture, type Suite } from './suite.js';

/** Registers the user tests. */
export function userTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0, concurrency } = suite;

  suite.describe('users', () => {
    suite.it('createUser assigns a positive integer id and returns every stored field', async ({ store }) => {
      const input = newUser('ada@example.com');
      const created = await store.createUser(input);
      assert.ok(Number.isSafeInteger(created.id) && created.id > 0, 'id must be a positive integer');
      assert.deepEqual(created, { ...input, id: created.id });
    });

    suite.it('createUser assigns increasing ids', async ({ store }) => {
      const ids: number[] = [];
      for (const i of range(5)) ids.push((await store.createUser(newUser(`user${i}@example.com`))).id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(new Set(ids).size, ids.length);
    });

    suite.it('getUserById returns the created user', async ({ store }) => {
      const created = await store.createUser(newUser('ada@example.com'));
      assert.deepEqual(await store.getUserById(created.id), created);
    });

    suite.it('getUserByEmailKey returns the user holding the key', async ({ store }) => {
      const created = await store.createUser(newUser('Ada@Example.com'));
      assert.deepEqual(await store.getUserByEmailKey('ada@example.com'), created);
    });

    const misses = [
      ['getUserById returns undefined for an id never assigned', 'id'],
      ['getUserByEmailKey returns undefined for an unknown key', 'emailKey'],
      ['getUserByEmailKey matches exactly: another case is another key', 'case'],
    ] as const;
    for (const [title, kind] of misses) {
      suite.it(title, async ({ store }) => {
        const ada = await store.createUser(newUser('ada@example.com'));
        const found =
          kind === 'id'
            ? await store.getUserById(ada.id + 1_000)
            : await store.getUserByEmailKey(kind === 'case' ? 'ADA@example.com' : 'grace@example.com');
        assert.equal(found, undefined);
      });
    }

    suite.it('createUser rejects a taken emailKey with an email_taken error', async ({ store }) => {
      await store.createUser(newUser('ada@example.com'));
      await assert.rejects(
        call(() => store.createUser(newUser('ADA@example.com'))),
        isEmailTaken,
      );
    });

    suite.it(
      `of ${concurrency} concurrent createUser calls with one emailKey exactly one succeeds`,
      async ({ store }) => {
        const outcomes = await Promise.allSettled(
          range(concurrency).map((i) =>
            call(() => store.createUser(newUser('race@example.com', { username: `u${i}` }))),
          ),
        );
        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        assert.equal(winners.length, 1);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected') assert.ok(isEmailTaken(outcome.reason));
        const winner = (winners[0] as PromiseFulfilledResult<UserRecord>).value;
        assert.deepEqual(await store.getUserByEmailKey('race@example.com'), winner);
      },
    );

    suite.it(
      `${concurrency} concurrent createUser calls with distinct emails get distinct ids`,
      async ({ store }) => {
        const users = await Promise.all(
          range(concurrency).map((i) => call(() => store.createUser(newUser(`user${i}@example.com`)))),
        );
        assert.equal(new Set(users.map((user) => user.id)).size, concurrency);
      },
    );

    suite.it(
      'updateUser applies the patch, keeps the other fields and persists the result',
      async ({ store }) => {
        const created = await store.createUser(newUser('ada@example.com'));
        const patch = { username: 'Ada', isStaff: true, passwordHash: '$scrypt$new', updatedAt: t0 + 5_000 };
        const updated = await store.updateUser(created.id, patch);
        assert.deepEqual(updated, { ...created, ...patch });
        assert.deepEqual(await store.getUserById(created.id), updated);
      },
    );

    suite.it('updateUser ignores patch fields that are undefined', async ({ store }) => {
      const created = await store.createUser(newUser('ada@example.com'));
      const updated = await store.updateUser(created.id, { username: undefined, isActive: false });
      assert.deepEqual(updated, { ...created, isActive: false });
    });

    suite.it('updateUser returns undefined for an unknown id and creates nobody', async ({ store }) => {
      assert.equal(await store.updateUser(4_242, { username: 'ghost' }), undefined);
      assert.equal(await store.getUserById(4_242), undefined);
    });

    suite.it(
      'updateUser moves the email claim: the new key finds the user, the old one is free',
      async ({ store }) => {
        const created = await store.createUser(newUser('ada@example.com'));
        await store.updateUser(created.id, { email: 'ada@new.example', emailKey: 'ada@new.example' });
        assert.equal((await store.getUserByEmailKey('ada@new.example'))?.id, created.id);
        assert.equal(await store.getUserByEmailKey('ada@example.com'), undefined);
        const other = await store.createUser(newUser('ada@example.com'));
        assert.notEqual(other.id, created.id);
      },
    );

    suite.it("updateUser accepts a patch that repeats the user's own emailKey", async ({ store }) => {
      const created = await store.createUser(newUser('ada@example.com'));
      const updated = await store.updateUser(created.id, {
        email: 'ADA@example.com',
        emailKey: 'ada@example.com',
      });
      assert.equal(updated?.email, 'ADA@example.com');
      assert.equal((await store.getUserByEmailKey('ada@example.com'))?.id, created.id);
    });

    suite.it('updateUser rejects the emailKey of another user and changes nothing', async ({ store }) => {
      const ada = await store.createUser(newUser('ada@example.com'));
      const grace = await store.createUser(newUser('grace@example.com'));
      await assert.rejects(
        call(() =>
          store.updateUser(grace.id, {
            email: 'ada@example.com',
            emailKey: 'ada@example.com',
            username: 'G',
          }),
        ),
        isEmailTaken,
      );
      assert.deepEqual(await store.getUserById(grace.id), grace);
      assert.deepEqual(await store.getUserByEmailKey('ada@example.com'), ada);
      assert.deepEqual(await store.getUserByEmailKey('grace@example.com'), grace);
    });

    suite.it('of two users concurrently changing to one emailKey exactly one wins', async ({ store }) => {
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
      const [loserId, loserKey] =
        winnerId === ada.id ? [grace.id, 'grace@example.com'] : [ada.id, 'ada@example.com'];
      assert.equal((await store.getUserByEmailKey(loserKey))?.id, loserId);
    });

    suite.it(
      'of concurrent createUser and updateUser claiming one emailKey exactly one wins',
      async ({ store }) => {
        const grace = await store.createUser(newUser('grace@example.com'));
        const outcomes = await Promise.allSettled([
          call(() => store.createUser(newUser('shared@example.com'))),
          call(() =>
            store.updateUser(grace.id, { email: 'shared@example.com', emailKey: 'shared@example.com' }),
          ),
        ]);
        assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
        const holder = await store.getUserByEmailKey('shared@example.com');
        const graceNow = await store.getUserById(grace.id);
        assert.ok(holder !== undefined);
        // Whoever won, grace holds exactly one of the two keys.
        assert.equal(graceNow?.emailKey, holder.id === grace.id ? 'shared@example.com' : 'grace@example.com');
      },
    );

    suite.it(
      'users are stored as copies: changing what went in or came out changes nothing',
      async ({ store }) => {
        const input = newUser('ada@example.com');
        const created = await store.createUser(input);
        const expected = { ...created };
        input.username = 'changed';
        created.username = 'changed';
        const read = await store.getUserById(expected.id);
        assert.deepEqual(read, expected);
        if (read) read.isStaff = true;
        const updated = await store.updateUser(expected.id, { username: 'Ada' });
        if (updated) updated.isActive = false;
        assert.deepEqual(await store.getUserById(expected.id), { ...expected, username: 'Ada' });
      },
    );
  });
}
