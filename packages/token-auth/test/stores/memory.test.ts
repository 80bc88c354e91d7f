import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { runStoreConformanceSuite } from '../../src/testing/index.js';
import { MINUTE_MS, newHead, newSession, settingsChange } from './fixtures.js';

runStoreConformanceSuite(
  'MemoryStore',
  {
    create: () => ({ store: new MemoryStore() }),
    countRecords: ({ store }, now) => {
      store.sweep(now);
      return store.size();
    },
    // A closed MemoryStore fails every call, as a store whose backend went away.
    breakBackend: ({ store }) => store.close(),
  },
  { describe, it },
);

describe('MemoryStore', () => {
  it('sweeps an expired session by itself once the callers clock has moved past expiry and grace', () => {
    const store = new MemoryStore({ gcGraceMs: 1_000, sweepIntervalMs: 10_000 });
    const session = newSession({ userId: 1, createdAt: 0, expiresAt: 5_000 });
    store.startSession(session);
    store.hit('login:ada', 60_000, 20_000);
    expect(store.rotate(session.headHash, newHead(80_000), 20_001)).toEqual({ status: 'unknown' });
  });

  it('keeps an expired session within the grace period so that its head answers expired', () => {
    const store = new MemoryStore({ gcGraceMs: 60_000, sweepIntervalMs: 0 });
    const session = newSession({ userId: 1, createdAt: 0, expiresAt: 5_000 });
    store.startSession(session);
    store.hit('login:ada', 1_000, 30_000);
    expect(store.rotate(session.headHash, newHead(90_000), 30_001)).toEqual({ status: 'expired' });
  });

  it('sweep drops a rotated token at its own expiry plus grace while its session lives on', () => {
    const store = new MemoryStore({ gcGraceMs: 0 });
    const session = newSession({ userId: 1, createdAt: 0, expiresAt: MINUTE_MS });
    store.startSession(session);
    store.rotate(session.headHash, newHead(10 * MINUTE_MS), 1_000);
    expect(store.sweep(MINUTE_MS)).toBe(1);
    expect(store.rotate(session.headHash, newHead(10 * MINUTE_MS), MINUTE_MS)).toEqual({ status: 'unknown' });
  });

  it('sweep drops counters whose window ended more than the grace period ago', () => {
    const store = new MemoryStore({ gcGraceMs: 0 });
    store.hit('login:ada', 1_000, 0);
    expect(store.sweep(1_000)).toBe(1);
    expect(store.size()).toBe(0);
  });

  it('keeps at most maxHistoryEntries history entries, dropping the oldest', () => {
    const store = new MemoryStore({ maxHistoryEntries: 2 });
    for (let i = 1; i <= 3; i++) {
      store.updateSettings({ accessTokenTtlSeconds: i }, [
        settingsChange('accessTokenTtlSeconds', i - 1, i, i, null),
      ]);
    }
    expect(store.listSettingsHistory(10).map((entry) => entry.newValue)).toEqual([3, 2]);
  });

  it('rejects every operation once closed, with an error saying so', () => {
    const store = new MemoryStore();
    store.close();
    expect(() => store.getUserById(1)).toThrow(/closed/);
    expect(() => store.rotate('hash', newHead(1), 0)).toThrow(/closed/);
  });

  it.each([
    ['gcGraceMs', { gcGraceMs: -1 }],
    ['sweepIntervalMs', { sweepIntervalMs: Number.NaN }],
    ['maxHistoryEntries', { maxHistoryEntries: 0 }],
  ])('rejects a bad %s with a ConfigError naming the option', (name, options) => {
    expect(() => new MemoryStore(options)).toThrow(ConfigError);
    expect(() => new MemoryStore(options)).toThrow(name);
  });
});
