/**
 * The names of the runtime settings: token-auth's camelCase keys and the API's snake_case
 * names on the wire. One table; every translation (response bodies, the `PUT` patch,
 * history entries, field names in errors) is derived from it.
 *
 * @module
 */

import type { Settings } from 'token-auth';

/** The API's name of each setting, by token-auth key. */
export const SETTING_WIRE_NAMES = {
  accessTokenTtlSeconds: 'access_token_lifetime',
  refreshTokenTtlSeconds: 'refresh_token_lifetime',
} as const satisfies Record<keyof Settings, string>;

/** A token-auth setting key, e.g. `accessTokenTtlSeconds`. */
export type SettingKey = keyof typeof SETTING_WIRE_NAMES;

/** A setting's name on the wire, e.g. `access_token_lifetime`. */
export type SettingWireName = (typeof SETTING_WIRE_NAMES)[SettingKey];

const SETTING_KEYS = Object.keys(SETTING_WIRE_NAMES) as SettingKey[];

/**
 * Renames a per-setting record from token-auth's keys to the wire names, mapping each value.
 *
 * @param values - One value per setting, by token-auth key.
 * @param map - Applied to each value (e.g. to copy it); identity by default.
 * @returns The same values by wire name, in the table's order.
 * @example
 * ```ts
 * settingsToWire({ accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 60 });
 * // { access_token_lifetime: 30, refresh_token_lifetime: 60 }
 * ```
 */
export function settingsToWire<T, U = T>(
  values: Readonly<Record<SettingKey, T>>,
  map: (value: T) => U = (value) => value as unknown as U,
): Record<SettingWireName, U> {
  return Object.fromEntries(SETTING_KEYS.map((key) => [SETTING_WIRE_NAMES[key], map(values[key])])) as Record<
    SettingWireName,
    U
  >;
}

/**
 * Renames a partial per-setting record from the wire names to token-auth's keys, leaving
 * out the settings that are absent (or `undefined`).
 *
 * @param values - Some settings, by wire name (a validated request body).
 * @returns The present ones, by token-auth key: a patch for `auth.updateSettings`.
 * @example
 * ```ts
 * settingsFromWire({ access_token_lifetime: 300 }); // { accessTokenTtlSeconds: 300 }
 * ```
 */
export function settingsFromWire<T>(
  values: Readonly<Partial<Record<SettingWireName, T>>>,
): Partial<Record<SettingKey, T>> {
  const patch: Partial<Record<SettingKey, T>> = {};
  for (const key of SETTING_KEYS) {
    const value = values[SETTING_WIRE_NAMES[key]];
    if (value !== undefined) patch[key] = value;
  }
  return patch;
}

/**
 * The API's name of a field token-auth reported: a setting key becomes its wire name, any
 * other name (including ones a client chose, such as `constructor`) is kept as it is.
 *
 * @param field - A field name from a token-auth `ValidationError`.
 * @returns The name to show the client.
 * @example
 * ```ts
 * wireFieldName('accessTokenTtlSeconds'); // "access_token_lifetime"
 * wireFieldName('email'); // "email"
 * ```
 */
export function wireFieldName(field: string): string {
  return Object.hasOwn(SETTING_WIRE_NAMES, field) ? SETTING_WIRE_NAMES[field as SettingKey] : field;
}
