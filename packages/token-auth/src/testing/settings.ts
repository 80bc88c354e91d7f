/**
 * Conformance tests of the settings part of the port: values merged over what is stored,
 * the history newest first, and values and history written together.
 *
 * @module
 */

import assert from 'node:assert/strict';
import type { SettingsChange, StoredSettings } from '../stores/port.js';
import { settingsChange } from './fixtures.js';
import { call, range, type StoreFixture, type Suite } from './suite.js';

/** Registers the settings tests. */
export function settingsTests<F extends StoreFixture>(suite: Suite<F>): void {
  const { t0, concurrency } = suite;
  const change = settingsChange;

  suite.describe('settings', () => {
    suite.it('getSettings returns undefined before any save', async ({ store }) => {
      assert.equal(await store.getSettings(), undefined);
    });

    suite.it('listSettingsHistory returns [] before any change', async ({ store }) => {
      assert.deepEqual(await store.listSettingsHistory(10), []);
    });

    suite.it('updateSettings saves the values given; keys never saved stay absent', async ({ store }) => {
      await store.updateSettings({ accessTokenTtlSeconds: 60 }, [
        change('accessTokenTtlSeconds', 900, 60, t0, 1),
      ]);
      assert.deepEqual(await store.getSettings(), { accessTokenTtlSeconds: 60 });
    });

    suite.it(
      'updateSettings merges over what is stored; absent and undefined keys keep their value',
      async ({ store }) => {
        await store.updateSettings({ accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 3_600 }, []);
        await store.updateSettings({ accessTokenTtlSeconds: 90, refreshTokenTtlSeconds: undefined }, []);
        assert.deepEqual(await store.getSettings(), {
          accessTokenTtlSeconds: 90,
          refreshTokenTtlSeconds: 3_600,
        });
      },
    );

    suite.it('updateSettings appends its changes to the history', async ({ store }) => {
      const entry = change('accessTokenTtlSeconds', 900, 60, t0, 7);
      await store.updateSettings({ accessTokenTtlSeconds: 60 }, [entry]);
      assert.deepEqual(await store.listSettingsHistory(10), [entry]);
    });

    suite.it(
      'listSettingsHistory returns the entries newest first, across and within calls',
      async ({ store }) => {
        const first = change('accessTokenTtlSeconds', 30, 60, t0 + 1_000, 7);
        const second = change('refreshTokenTtlSeconds', 2_592_000, 3_600, t0 + 2_000, null);
        const third = change('accessTokenTtlSeconds', 60, 90, t0 + 3_000, 7);
        await store.updateSettings({ accessTokenTtlSeconds: 60 }, [first]);
        await store.updateSettings({ refreshTokenTtlSeconds: 3_600, accessTokenTtlSeconds: 90 }, [
          second,
          third,
        ]);
        assert.deepEqual(await store.listSettingsHistory(10), [third, second, first]);
      },
    );

    const limits = [
      [1, [35]],
      [2, [35, 34]],
      [5, [35, 34, 33, 32, 31]],
      [1_000, [35, 34, 33, 32, 31]],
    ] as const;
    for (const [limit, expected] of limits) {
      suite.it(
        `listSettingsHistory(${limit}) returns at most ${limit} entries, the newest`,
        async ({ store }) => {
          for (const i of range(5)) {
            await store.updateSettings({ accessTokenTtlSeconds: 31 + i }, [
              change('accessTokenTtlSeconds', 30 + i, 31 + i, t0 + i, null),
            ]);
          }
          const history = await store.listSettingsHistory(limit);
          assert.deepEqual(
            history.map((entry) => entry.newValue),
            expected,
          );
        },
      );
    }

    suite.it('settings and history are returned as copies', async ({ store }) => {
      const entry = change('accessTokenTtlSeconds', 30, 60, t0, 1);
      await store.updateSettings({ accessTokenTtlSeconds: 60 }, [entry]);
      const settings = await store.getSettings();
      const [listed] = await store.listSettingsHistory(1);
      if (settings) settings.accessTokenTtlSeconds = 1;
      if (listed) listed.newValue = 1;
      entry.newValue = 2;
      assert.deepEqual(await store.getSettings(), { accessTokenTtlSeconds: 60 });
      assert.equal((await store.listSettingsHistory(1))[0]?.newValue, 60);
    });

    suite.it(`${concurrency} concurrent updateSettings calls lose no history entry`, async ({ store }) => {
      await Promise.all(
        range(concurrency).map((i) =>
          call(() =>
            store.updateSettings({ accessTokenTtlSeconds: 100 + i }, [
              change('accessTokenTtlSeconds', 30, 100 + i, t0 + i, i),
            ]),
          ),
        ),
      );
      const history = await store.listSettingsHistory(concurrency + 10);
      assert.equal(history.length, concurrency);
      assert.equal(new Set(history.map((entry) => entry.changedBy)).size, concurrency);
    });

    suite.it(
      'after concurrent updateSettings calls the stored value is the newest history entry',
      async ({ store }) => {
        await Promise.all(
          range(concurrency).map((i) =>
            call(() =>
              store.updateSettings({ accessTokenTtlSeconds: 100 + i }, [
                change('accessTokenTtlSeconds', 30, 100 + i, t0 + i, i),
              ]),
            ),
          ),
        );
        const [newest] = await store.listSettingsHistory(1);
        assert.deepEqual(await store.getSettings(), { accessTokenTtlSeconds: newest?.newValue });
      },
    );

    suite.it(
      'a reader never sees settings values without their history entry, or the reverse',
      async ({ store }) => {
        // Write i saves the value 100 + i with one entry whose newValue is 100 + i. A reader
        // reads values, history, values. Written together, the first value read is in the
        // history read after it, and the second is either the newest entry of that history or
        // a later write's (not in it at all).
        const writes = Math.max(concurrency, 20);
        const violations: string[] = [];
        let writing = true;
        const writer = (async () => {
          try {
            for (const i of range(writes)) {
              await store.updateSettings({ accessTokenTtlSeconds: 100 + i }, [
                change('accessTokenTtlSeconds', 99 + i, 100 + i, t0 + i, null),
              ]);
            }
          } finally {
            writing = false;
          }
        })();
        const reader = async () => {
          while (writing && violations.length === 0) {
            const before = (await store.getSettings())?.accessTokenTtlSeconds;
            const history = (await store.listSettingsHistory(writes + 1)).map((entry) => entry.newValue);
            const after = (await store.getSettings())?.accessTokenTtlSeconds;
            if (before !== undefined && !history.includes(before))
              violations.push(`value ${before} without history`);
            if (after !== undefined && history.includes(after) && history[0] !== after)
              violations.push(`history ${history[0]} without its value (read ${after})`);
            if (after === undefined && history.length > 0)
              violations.push(`history ${history[0]} without values`);
            // Let timers and I/O run: a synchronous store would otherwise starve the writer.
            await new Promise((resolve) => setImmediate(resolve));
          }
        };
        await Promise.all([writer, reader(), reader(), reader()]);
        assert.deepEqual(violations, []);
      },
    );

    suite.it('updateSettings with no values still records its history entries', async ({ store }) => {
      const entry: SettingsChange = change('accessTokenTtlSeconds', 30, 30, t0, 1);
      const values: Partial<StoredSettings> = {};
      await store.updateSettings(values, [entry]);
      assert.deepEqual(await store.listSettingsHistory(5), [entry]);
    });
  });
}
