import { describeValue } from './describe-value.js';

// Error builders for the lookups. They live outside the hot functions so that the lookups stay
// small enough to inline; the lookups only call them on the way to a throw.

/** `stamps` is not an array. */
export function stampsNotArrayError(where: string, stamps: unknown): TypeError {
  return new TypeError(`${where}: stamps must be an array of stamps, got ${describeValue(stamps)}`);
}

/** `stamps` is an empty array. */
export function stampsEmptyError(where: string): RangeError {
  return new RangeError(`${where}: stamps must not be empty: a match has at least one stamp`);
}

/** `offset` is not a number (TypeError), or NaN, negative or infinite (RangeError). */
export function invalidOffsetError(where: string, offset: unknown): TypeError | RangeError {
  if (typeof offset !== 'number') {
    return new TypeError(`${where}: offset must be a number, got ${describeValue(offset)}`);
  }
  return new RangeError(`${where}: offset must be a finite, non-negative number, got ${offset}`);
}

/** `offset` is a valid moment, but earlier than the first stamp: no score is known yet. */
export function offsetBeforeStartError(where: string, offset: number, firstOffset: number): RangeError {
  return new RangeError(
    `${where}: offset ${offset} is before the first stamp (offset ${firstOffset}): no score is known yet`,
  );
}
