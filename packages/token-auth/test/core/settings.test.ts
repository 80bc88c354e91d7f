import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { ConfigError, StoreError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { failingFields, manualClock, rejectionOf, SECRET, setup, T0 } from './fixtures.js';

const ADMIN = { userId: 1 };

describe('getSettings', () => {
  it('starts from 30 seconds and 30 days, with bounds and nothing changed', async () => {
    const { auth } = setup();
    await expect(auth.getSettings()).resolves.toEqual({
      values: { accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 },
      defaults: { accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 },
      changed: { accessTokenTtlSeconds: false, refreshTokenTtlSeconds: false },
      bounds: {
        accessTokenTtlSeconds: { min: 1, max: 86_400 },
        refreshTokenTtlSeconds: { min: 1, max: 31_536_000 },
      },
    });
  });

  it('uses the defaults given in the options', async () => {
    const { auth } = setup({ defaults: { accessTokenTtlSeconds: 300 } });
    await expect(auth.getSettings()).resolves.toMatchObject({
      values: { accessTokenTtlSeconds: 300, refreshTokenTtlSeconds: 2_592_000 },
      changed: { accessTokenTtlSeconds: false },
    });
  });

  it.each([
    [{ accessTokenTtlSeconds: 0 }, /defaults.accessTokenTtlSeconds must be a whole number/],
    [{ refreshTokenTtlSeconds: 31_536_001 }, /defaults.refreshTokenTtlSeconds must be a whole number/],
    [{ lifetime: 5 }, /defaults.lifetime is not a setting/],
  ])('refuses the defaults %o', (defaults, message) => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: SECRET, defaults: defaults as never }),
    ).toThrow(message);
  });

  it('reports a stored value outside its bounds as a store failure', async () => {
    const { auth, store } = setup();
    store.updateSettings({ accessTokenTtlSeconds: -5 }, []);
    await expect(auth.getSettings()).rejects.toThrow(StoreError);
  });
});

describe('updateSettings', () => {
  it('applies a change at once in the instance that made it', async () => {
    const { auth } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    await expect(auth.getSettings()).resolves.toMatchObject({
      values: { accessTokenTtlSeconds: 120, refreshTokenTtlSeconds: 2_592_000 },
      changed: { accessTokenTtlSeconds: true, refreshTokenTtlSeconds: false },
    });
  });

  it('records the transitions concurrent changes really made', async () => {
    const { auth } = setup();
    await Promise.all([
      auth.updateSettings({ accessTokenTtlSeconds: 60 }, ADMIN),
      auth.updateSettings({ accessTokenTtlSeconds: 90 }, ADMIN),
    ]);
    const [newest, oldest] = await auth.getSettingsHistory();
    expect(oldest?.oldValue).toBe(30);
    expect(newest?.oldValue).toBe(oldest?.newValue);
  });

  it('returns the settings after the change', async () => {
    const { auth } = setup();
    await expect(auth.updateSettings({ refreshTokenTtlSeconds: 86_400 }, ADMIN)).resolves.toMatchObject({
      values: { refreshTokenTtlSeconds: 86_400 },
    });
  });

  it('persists the change in the store', async () => {
    const { auth, store } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    expect(store.getSettings()).toEqual({ accessTokenTtlSeconds: 120 });
  });

  it('records who changed what, when, from which value to which', async () => {
    const { auth, clock } = setup();
    clock.advance(5000);
    await auth.updateSettings({ accessTokenTtlSeconds: 120, refreshTokenTtlSeconds: 3600 }, ADMIN);
    await expect(auth.getSettingsHistory()).resolves.toEqual(
      expect.arrayContaining([
        { key: 'accessTokenTtlSeconds', oldValue: 30, newValue: 120, changedAt: T0 + 5000, changedBy: 1 },
        {
          key: 'refreshTokenTtlSeconds',
          oldValue: 2_592_000,
          newValue: 3600,
          changedAt: T0 + 5000,
          changedBy: 1,
        },
      ]),
    );
  });

  it('records history only for the keys whose value actually changed', async () => {
    const { auth } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 3600 }, ADMIN);
    await auth.updateSettings({ refreshTokenTtlSeconds: 3600 }, ADMIN);
    const history = await auth.getSettingsHistory();
    expect(history.map((change) => change.key)).toEqual(['refreshTokenTtlSeconds']);
  });

  it('records a system change with changedBy null', async () => {
    const { auth } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: 60 }, { userId: null });
    await expect(auth.getSettingsHistory()).resolves.toMatchObject([{ changedBy: null }]);
  });

  it('lists the history newest first, up to the limit', async () => {
    const { auth, clock } = setup();
    for (const value of [40, 50, 60]) {
      clock.advance(1000);
      await auth.updateSettings({ accessTokenTtlSeconds: value }, ADMIN);
    }
    const history = await auth.getSettingsHistory(2);
    expect(history.map((change) => change.newValue)).toEqual([60, 50]);
  });

  it('marks a setting unchanged again once set back to its default', async () => {
    const { auth } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    await expect(auth.updateSettings({ accessTokenTtlSeconds: 30 }, ADMIN)).resolves.toMatchObject({
      changed: { accessTokenTtlSeconds: false },
    });
  });

  it('ignores keys whose value is undefined', async () => {
    const { auth } = setup();
    await auth.updateSettings({ accessTokenTtlSeconds: undefined, refreshTokenTtlSeconds: 60 }, ADMIN);
    await expect(auth.getSettingsHistory()).resolves.toHaveLength(1);
  });

  it.each([1, 86_400])('accepts an access lifetime of %i seconds (a bound)', async (value) => {
    const { auth } = setup();
    await expect(auth.updateSettings({ accessTokenTtlSeconds: value }, ADMIN)).resolves.toMatchObject({
      values: { accessTokenTtlSeconds: value },
    });
  });

  it.each([1, 31_536_000])('accepts a refresh lifetime of %i seconds (a bound)', async (value) => {
    const { auth } = setup();
    await expect(auth.updateSettings({ refreshTokenTtlSeconds: value }, ADMIN)).resolves.toMatchObject({
      values: { refreshTokenTtlSeconds: value },
    });
  });

  it.each([0, -30, 86_401, 1.5, '30', null, Number.NaN])(
    'refuses an access lifetime of %o',
    async (value) => {
      const { auth } = setup();
      expect(await failingFields(auth.updateSettings({ accessTokenTtlSeconds: value }, ADMIN))).toEqual([
        'accessTokenTtlSeconds',
      ]);
    },
  );

  it.each([0, 31_536_001, Number.POSITIVE_INFINITY])('refuses a refresh lifetime of %o', async (value) => {
    const { auth } = setup();
    expect(await failingFields(auth.updateSettings({ refreshTokenTtlSeconds: value }, ADMIN))).toEqual([
      'refreshTokenTtlSeconds',
    ]);
  });

  it('explains the bounds in the error message', async () => {
    const { auth } = setup();
    await expect(auth.updateSettings({ accessTokenTtlSeconds: 0 }, ADMIN)).rejects.toThrow(
      'The access-token lifetime must be a whole number of seconds from 1 to 86400',
    );
  });

  it('refuses a patch that is not an object', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.updateSettings(null as never, ADMIN))).toEqual(['settings']);
  });

  it('refuses an unknown setting', async () => {
    const { auth } = setup();
    expect(await failingFields(auth.updateSettings({ lifetime: 5 } as never, ADMIN))).toEqual(['lifetime']);
  });

  it('refuses an actor that is not a user id or null', async () => {
    const { auth } = setup();
    expect(
      await failingFields(auth.updateSettings({ accessTokenTtlSeconds: 60 }, { userId: 'admin' as never })),
    ).toEqual(['actor']);
  });

  it('changes nothing when any value is invalid', async () => {
    const { auth } = setup();
    await rejectionOf(auth.updateSettings({ accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 0 }, ADMIN));
    await expect(auth.getSettings()).resolves.toMatchObject({ values: { accessTokenTtlSeconds: 30 } });
  });
});

describe('settings across processes sharing a store', () => {
  function twoInstances(settingsCacheTtlMs?: number) {
    const store = new MemoryStore();
    const clock = manualClock();
    const options = { store, secret: SECRET, now: clock.now, settingsCacheTtlMs };
    return { clock, a: createTokenAuth(options), b: createTokenAuth(options) };
  }

  it('are seen by another instance once its cache lifetime has passed', async () => {
    const { clock, a, b } = twoInstances(1000);
    await b.getSettings();
    await a.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    clock.advance(999);
    await expect(b.getSettings()).resolves.toMatchObject({ values: { accessTokenTtlSeconds: 30 } });
    clock.advance(1);
    await expect(b.getSettings()).resolves.toMatchObject({ values: { accessTokenTtlSeconds: 120 } });
  });

  it('are seen by another instance at once with a cache lifetime of 0', async () => {
    const { a, b } = twoInstances(0);
    await b.getSettings();
    await a.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    await expect(b.getSettings()).resolves.toMatchObject({ values: { accessTokenTtlSeconds: 120 } });
  });

  it('record the old value from the store, not from a stale cache', async () => {
    const { a, b } = twoInstances(60_000);
    await b.getSettings();
    await a.updateSettings({ accessTokenTtlSeconds: 120 }, ADMIN);
    await b.updateSettings({ accessTokenTtlSeconds: 90 }, { userId: 2 });
    const [latest] = await b.getSettingsHistory(1);
    expect(latest).toMatchObject({ oldValue: 120, newValue: 90, changedBy: 2 });
  });
});

describe('getSettingsHistory', () => {
  it.each([0, 1001, 2.5])('refuses a limit of %o', async (limit) => {
    const { auth } = setup();
    expect(await failingFields(auth.getSettingsHistory(limit))).toEqual(['limit']);
  });

  it('is empty before any change', async () => {
    const { auth } = setup();
    await expect(auth.getSettingsHistory()).resolves.toEqual([]);
  });
});

describe('settings options', () => {
  it('refuses a negative cache lifetime', () => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: SECRET, settingsCacheTtlMs: -1 }),
    ).toThrow(ConfigError);
  });
});
