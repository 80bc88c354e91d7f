import {
  invalidOffsetError,
  offsetBeforeStartError,
  stampsEmptyError,
  stampsNotArrayError,
} from './lib/argument-errors.js';
import type { Score, Stamp } from './types.js';

/**
 * Returns the score of a match at the moment `offset`: the score of the last stamp whose offset is
 * at or before `offset`. Binary search, O(log n), no preprocessing; it allocates nothing but the
 * returned object.
 *
 * | situation | answer |
 * | --- | --- |
 * | `offset` equal to a stamp's | that stamp's score |
 * | `offset` between two stamps (no stamp at that moment) | the score of the last stamp before it |
 * | `offset` after the last stamp | the final score |
 * | fractional `offset` | a moment like any other |
 * | several stamps with the same offset | the last of them |
 * | negative, NaN or infinite `offset` | RangeError |
 * | `offset` before the first stamp | RangeError: no score is known yet |
 * | empty `stamps` | RangeError |
 * | `offset` not a number, `stamps` not an array | TypeError |
 *
 * `stamps` must be sorted by offset and well-formed, as {@link generateGame} makes them: checking
 * that would cost O(n) per call. For untrusted input, or many lookups in one match, build a
 * {@link ScoreTimeline} once: it validates and answers faster.
 *
 * @param stamps - The match: stamps sorted by offset (ascending, equal offsets allowed).
 * @param offset - The moment: a finite, non-negative number, not before the first stamp.
 * @returns A new `{ home, away }` object (never the stamp's own, so the match cannot be changed
 *   through it).
 * @throws TypeError if `stamps` is not an array or `offset` is not a number.
 * @throws RangeError if `stamps` is empty, or `offset` is negative, NaN, infinite or before the
 *   first stamp.
 *
 * @example
 * ```ts
 * import { getScore } from '@game/score';
 *
 * const stamps = [
 *   { offset: 0, score: { home: 0, away: 0 } },
 *   { offset: 3, score: { home: 1, away: 0 } },
 *   { offset: 5, score: { home: 1, away: 1 } },
 * ];
 * getScore(stamps, 3); // { home: 1, away: 0 }: the stamp at 3
 * getScore(stamps, 4); // { home: 1, away: 0 }: no stamp at 4, the last one before it
 * getScore(stamps, 99); // { home: 1, away: 1 }: the final score
 * ```
 */
export function getScore(stamps: readonly Stamp[], offset: number): Score {
  if (!Array.isArray(stamps)) throw stampsNotArrayError('getScore', stamps);
  if (typeof offset !== 'number' || !(offset >= 0 && offset < Number.POSITIVE_INFINITY)) {
    throw invalidOffsetError('getScore', offset);
  }
  // Upper bound: the first index whose offset is after `offset`; the answer is the one before it.
  let lo = 0;
  let hi = stamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((stamps[mid] as Stamp).offset <= offset) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) {
    if (stamps.length === 0) throw stampsEmptyError('getScore');
    throw offsetBeforeStartError('getScore', offset, (stamps[0] as Stamp).offset);
  }
  const { score } = stamps[lo - 1] as Stamp;
  return { home: score.home, away: score.away };
}
