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
