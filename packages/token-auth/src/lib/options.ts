/**
 * Checks of option values, shared by the factories. Failures are {@link ConfigError}s.
 *
 * @module
 */

import { ConfigError } from '../errors.js';

/**
 * Reads an optional integer option and checks its inclusive range.
 *
 * @param name - The option's name, used in the error message.
 * @param value - The value given, or `undefined`.
 * @param fallback - The default.
 * @param min - Smallest allowed value.
 * @param max - Largest allowed value.
 * @returns The value or the default.
 * @throws {@link ConfigError} when it is not an integer in range.
 */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !Number.isInteger(result) || result < min || result > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
  return result;
}

/**
 * Reads an optional duration option in milliseconds: a finite, non-negative number.
 *
 * @param name - The option's name, used in the error message.
 * @param value - The value given, or `undefined`.
 * @param fallback - The default.
 * @returns The value or the default.
 * @throws {@link ConfigError} when it is negative, not finite or not a number.
 */
export function millisecondsOption(name: string, value: unknown, fallback: number): number {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !Number.isFinite(resolved) || resolved < 0) {
    throw new ConfigError(`${name} must be a non-negative number of milliseconds`);
  }
  return resolved;
}

/**
 * The fields of `value` that are not `undefined`: a patch where `undefined` means "leave alone".
 *
 * @param value - A patch object.
 * @returns A copy without its `undefined` fields.
 */
export function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
