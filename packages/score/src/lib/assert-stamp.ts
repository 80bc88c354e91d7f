import type { Stamp } from '../types.js';
import { describeValue } from './describe-value.js';

// The path is only built on the way to a throw, so validating 50 000 stamps allocates nothing.
function pathOf(name: string, index: number): string {
  return index < 0 ? name : `${name}[${index}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertGoals(value: unknown, name: string, index: number, field: 'home' | 'away'): void {
  if (typeof value !== 'number') {
    throw new TypeError(
      `${pathOf(name, index)}.score.${field} must be a number, got ${describeValue(value)}`,
    );
  }
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(
      `${pathOf(name, index)}.score.${field} must be a non-negative integer, got ${value}`,
    );
  }
}

/**
 * Checks that `value` is a well-formed stamp: an object with a finite, non-negative `offset` and
 * a `score` of two non-negative integers. Throws a TypeError (wrong type) or RangeError (bad
 * value) whose message names the field, e.g. `stamps[17].score.home`. Extra properties are fine.
 */
export function assertStamp(value: unknown, name: string, index = -1): asserts value is Stamp {
  if (!isObject(value)) {
    throw new TypeError(
      `${pathOf(name, index)} must be an object { offset, score: { home, away } }, got ${describeValue(value)}`,
    );
  }
  const { offset, score } = value;
  if (typeof offset !== 'number') {
    throw new TypeError(`${pathOf(name, index)}.offset must be a number, got ${describeValue(offset)}`);
  }
  if (!(offset >= 0 && offset < Number.POSITIVE_INFINITY)) {
    throw new RangeError(
      `${pathOf(name, index)}.offset must be a finite, non-negative number, got ${offset}`,
    );
  }
  if (!isObject(score)) {
    throw new TypeError(
      `${pathOf(name, index)}.score must be an object { home, away }, got ${describeValue(score)}`,
    );
  }
  assertGoals(score.home, name, index, 'home');
  assertGoals(score.away, name, index, 'away');
}
