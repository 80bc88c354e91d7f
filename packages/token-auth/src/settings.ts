/**
 * Runtime settings (token lifetimes), persisted in the store and cached per process.
 *
 * @module
 */

import type { FieldError } from './errors.js';
import { ConfigError, StoreError, ValidationError } from './errors.js';
import { KeyedMutex } from './lib/mutex.js';
import type { SettingsChange, TokenAuthStore } from './stores/port.js';
import type { SettingBounds, Settings, SettingsView } from './types.js';

/**
 * The defaults of the runtime settings: access tokens live 30 seconds, refresh tokens
 * 30 days (2 592 000 seconds), as the original brief asks.
 *
 * @example
 * ```ts
 * DEFAULT_SETTINGS.accessTokenTtlSeconds; // 30
 * ```
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  accessTokenTtlSeconds: 30,
  refreshTokenTtlSeconds: 2_592_000,
});

/**
 * Inclusive bounds of each runtime setting, in whole seconds: access tokens 1 s to 1 day,
 * refresh tokens 1 s to 365 days. A non-positive lifetime is an error, never "forever".
 *
 * @example
 * ```ts
 * SETTINGS_BOUNDS.refreshTokenTtlSeconds.max; // 31_536_000
 * ```
 */
export const SETTINGS_BOUNDS: Readonly<Record<keyof Settings, Readonly<SettingBounds>>> = Object.freeze({
  accessTokenTtlSeconds: Object.freeze({ min: 1, max: 86_400 }),
  refreshTokenTtlSeconds: Object.freeze({ min: 1, max: 31_536_000 }),
});

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

/** Default and largest page of {@link RuntimeSettings.history}. */
export const DEFAULT_HISTORY_LIMIT = 50;
const MAX_HISTORY_LIMIT = 1000;

/** Options of {@link RuntimeSettings}. */
export interface RuntimeSettingsOptions {
  /** Where the settings and their history live. */
  store: TokenAuthStore;
  /** The clock, epoch ms; also drives the cache's freshness. */
  now: () => number;
  /** Overrides of {@link DEFAULT_SETTINGS}. */
  defaults?: Partial<Settings> | undefined;
  /** How long a read from the store is served from memory, in ms (0: every read goes to the store). */
  cacheTtlMs: number;
}

/**
 * The runtime settings of one `createTokenAuth` instance. Internal: the instance exposes
 * `getSettings`, `updateSettings` and `getSettingsHistory`.
 *
 * Reads are served from a per-process cache for `cacheTtlMs`, which is therefore the bound
 * within which a change made by another process becomes visible here. A change made through
 * this instance updates the cache at once. Concurrent cache misses share one store read.
 */
export class RuntimeSettings {
  readonly #store: TokenAuthStore;
  readonly #updates = new KeyedMutex();
  readonly #now: () => number;
  readonly #defaults: Readonly<Settings>;
  readonly #cacheTtlMs: number;
  #cached: { values: Settings; loadedAt: number } | undefined;
  #pending: Promise<Settings> | undefined;
  /** Bumped by every local change, so that a read begun before it cannot overwrite its result. */
  #generation = 0;

  /**
   * @param options - Store, clock, defaults and cache lifetime.
   * @throws {@link ConfigError} when a default is outside {@link SETTINGS_BOUNDS}.
   */
  constructor(options: RuntimeSettingsOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#cacheTtlMs = options.cacheTtlMs;
    const defaults = { ...DEFAULT_SETTINGS };
    for (const key of SETTING_KEYS) {
      const value = options.defaults?.[key];
      if (value === undefined) continue;
      if (checkValue(key, value) !== undefined) {
        const { min, max } = SETTINGS_BOUNDS[key];
        throw new ConfigError(`defaults.${key} must be a whole number of seconds from ${min} to ${max}`);
      }
      defaults[key] = value;
    }
    for (const key of Object.keys(options.defaults ?? {})) {
      if (!SETTING_KEYS.includes(key as keyof Settings))
        throw new ConfigError(`defaults.${key} is not a setting`);
    }
    this.#defaults = Object.freeze(defaults);
  }

  /**
   * The settings in force: cached, or read from the store when the cache is stale.
   *
   * @returns The values (defaults for anything never set).
   * @throws {@link StoreError} when a stored value is outside its bounds.
   */
  async get(): Promise<Settings> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() - cached.loadedAt < this.#cacheTtlMs) return cached.values;
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * The settings with defaults, "changed" flags and bounds.
   *
   * @returns The view an administrator sees.
   */
  async view(): Promise<SettingsView> {
    return this.#toView(await this.get());
  }

  /**
   * Validates `patch` and saves the values that differ from the stored ones, with one
   * history entry per changed key. Keys whose value is `undefined` are left alone.
   *
   * @param patch - New values by setting key (whole seconds).
   * @param actor - Who changes them (`null` for the system).
   * @returns The view after the change.
   * @throws {@link ValidationError} naming each bad key (`accessTokenTtlSeconds`, ...).
   */
  async update(patch: unknown, actor: { userId: number | null }): Promise<SettingsView> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new ValidationError([{ field: 'settings', message: 'settings must be an object' }]);
    }
    const errors: FieldError[] = [];
    const wanted: Partial<Settings> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (!SETTING_KEYS.includes(key as keyof Settings)) {
        errors.push({ field: key, message: `${key} is not a runtime setting` });
        continue;
      }
      const problem = checkValue(key as keyof Settings, value);
      if (problem !== undefined) errors.push(problem);
      else wanted[key as keyof Settings] = value as number;
    }
    const userId = actor?.userId;
    if (userId !== null && !(Number.isSafeInteger(userId) && (userId as number) > 0)) {
      errors.push({ field: 'actor', message: 'actor.userId must be a positive integer or null' });
    }
    if (errors.length > 0) throw new ValidationError(errors);

    // One change at a time in this process, so that concurrent changes record the transitions
    // they really made (across processes the history can still interleave; the values cannot
    // be lost: each change writes only the keys it sets).
    return this.#updates.run('settings', () => this.#apply(wanted, userId ?? null));
  }

  async #apply(wanted: Partial<Settings>, userId: number | null): Promise<SettingsView> {
    // Compare with the store, not the cache, so that history records real transitions.
    const current = await this.#load();
    const now = this.#now();
    const changes: SettingsChange[] = [];
    for (const key of SETTING_KEYS) {
      const value = wanted[key];
      if (value === undefined || value === current[key]) continue;
      changes.push({
        key,
        oldValue: current[key],
        newValue: value,
        changedAt: now,
        changedBy: userId,
      });
    }
    if (changes.length === 0) return this.#toView(current);
    const values: Partial<Settings> = {};
    for (const change of changes) values[change.key] = change.newValue;
    await this.#store.updateSettings(values, changes);
    const updated = { ...current, ...values };
    this.#generation += 1;
    this.#cached = { values: updated, loadedAt: this.#now() };
    return this.#toView(updated);
  }

  /**
   * The settings history, newest first.
   *
   * @param limit - At most this many entries, 1 to 1000 (default 50).
   * @returns The entries.
   * @throws {@link ValidationError} on field `limit` when it is out of range.
   */
  async history(limit: unknown = DEFAULT_HISTORY_LIMIT): Promise<SettingsChange[]> {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw new ValidationError([
        { field: 'limit', message: `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}` },
      ]);
    }
    return this.#store.listSettingsHistory(limit);
  }

  async #load(): Promise<Settings> {
    const generation = this.#generation;
    const stored = await this.#store.getSettings();
    const values = { ...this.#defaults };
    for (const key of SETTING_KEYS) {
      const value = stored?.[key];
      if (value === undefined || value === null) continue;
      if (checkValue(key, value) !== undefined)
        throw new StoreError(`The stored setting ${key} is out of its bounds`);
      values[key] = value;
    }
    if (generation === this.#generation) this.#cached = { values, loadedAt: this.#now() };
    return values;
  }

  #toView(values: Settings): SettingsView {
    const changed = {} as Record<keyof Settings, boolean>;
    for (const key of SETTING_KEYS) changed[key] = values[key] !== this.#defaults[key];
    return {
      values: { ...values },
      defaults: { ...this.#defaults },
      changed,
      bounds: structuredClone(SETTINGS_BOUNDS),
    };
  }
}

/** The problem with `value` as a value of setting `key`, or `undefined` when it is valid. */
function checkValue(key: keyof Settings, value: unknown): FieldError | undefined {
  const { min, max } = SETTINGS_BOUNDS[key];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  return {
    field: key,
    message: `The ${SETTING_LABELS[key]} must be a whole number of seconds from ${min} to ${max}`,
  };
}

/** Names for messages: a server may expose the settings under other keys, so messages avoid ours. */
const SETTING_LABELS: Readonly<Record<keyof Settings, string>> = {
  accessTokenTtlSeconds: 'access-token lifetime',
  refreshTokenTtlSeconds: 'refresh-token lifetime',
};
