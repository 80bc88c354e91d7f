import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { runStoreConformanceSuite } from '../../src/testing.js';

runStoreConformanceSuite(
  'MemoryStore',
  {
    create: () => ({ store: new MemoryStore() }),
    countRecords: async ({ store }, now) => {
      store.sweep(now);
      return store.size();
    },
  },
  { describe, it },
);

const token = (tokenHash: string, createdAt: number, expiresAt: number) => ({
  tokenHash,
  userId: 1,
  familyId: 'f1',
  createdAt,
  expiresAt,
  rotatedAt: null,
});

describe('MemoryStore', () => {
  it('sweeps expired tokens by itself once the callers clock has moved past expiry and grace', () => {
    const store = new MemoryStore({ gcGraceMs: 1_000, sweepIntervalMs: 10_000 });
    store.createRefreshToken(token('old', 0, 5_000));
    expect(store.size()).toBe(1);
    store.hit('login:ada', 60_000, 20_000);
    expect(store.consumeRefreshToken('old', 20_001)).toEqual({ status: 'missing' });
  });

  it('keeps an expired token within the grace period so that consuming it answers expired', () => {
    const store = new MemoryStore({ gcGraceMs: 60_000, sweepIntervalMs: 0 });
    store.createRefreshToken(token('old', 0, 5_000));
    store.hit('login:ada', 1_000, 30_000);
    expect(store.consumeRefreshToken('old', 30_001).status).toBe('expired');
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
        { key: 'accessTokenTtlSeconds', oldValue: i - 1, newValue: i, changedAt: i, changedBy: null },
      ]);
    }
    expect(store.listSettingsHistory(10).map((entry) => entry.newValue)).toEqual([3, 2]);
  });

  it('rejects every operation with a StoreError once closed', () => {
    const store = new MemoryStore();
    store.close();
    expect(() => store.getUserById(1)).toThrow(StoreError);
    expect(() => store.hit('k', 1_000, 0)).toThrow(/closed/);
  });

  it('rejects a negative gcGraceMs with a ConfigError naming the option', () => {
    expect(() => new MemoryStore({ gcGraceMs: -1 })).toThrow(ConfigError);
    expect(() => new MemoryStore({ gcGraceMs: -1 })).toThrow(/gcGraceMs/);
  });

  it('rejects a maxHistoryEntries below 1 with a ConfigError naming the option', () => {
    expect(() => new MemoryStore({ maxHistoryEntries: 0 })).toThrow(/maxHistoryEntries/);
  });
});
