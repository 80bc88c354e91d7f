import { describe, expect, test } from 'vitest';
import { generateGame } from '../../src/generate-game.js';
import type { Score, Stamp } from '../../src/types.js';
import { SMALL_MATCH, scoreByLinearScan, stamp } from './matches.js';

function goals(stamp: Stamp | undefined): number {
  return (stamp?.score.home ?? 0) + (stamp?.score.away ?? 0);
}

/** A score lookup under test: getScore itself, or a timeline built from `stamps` then asked. */
export type Lookup = (stamps: readonly Stamp[], offset: number) => Score;

/**
 * The semantics table of the package README, as tests. Every lookup of the package must pass it
 * (getScore and ScoreTimeline#scoreAt), so the two cannot drift apart.
 */
export function describeLookupContract(name: string, lookup: Lookup): void {
  describe(`${name} semantics`, () => {
    test('returns the score of the stamp whose offset equals the given offset', () => {
      expect(lookup(SMALL_MATCH, 3)).toEqual({ home: 1, away: 0 });
    });

    test('returns the initial score at offset 0', () => {
      expect(lookup(SMALL_MATCH, 0)).toEqual({ home: 0, away: 0 });
    });

    test('returns the score of the last stamp before a moment that has no stamp', () => {
      expect(lookup(SMALL_MATCH, 5)).toEqual({ home: 1, away: 0 });
    });

    test('returns the final score for an offset after the last stamp', () => {
      expect(lookup(SMALL_MATCH, 1000)).toEqual({ home: 2, away: 1 });
    });

    test('returns the final score for the largest finite offset', () => {
      expect(lookup(SMALL_MATCH, Number.MAX_VALUE)).toEqual({ home: 2, away: 1 });
    });

    test('treats a fractional offset as a moment before the next stamp, never rounding up', () => {
      expect(lookup(SMALL_MATCH, 2.5)).toEqual({ home: 0, away: 0 });
    });

    test('returns the score of the last of several stamps that share an offset', () => {
      const match = [stamp(0, 0, 0), stamp(4, 1, 0), stamp(4, 1, 1), stamp(4, 2, 1), stamp(9, 2, 1)];
      expect(lookup(match, 4)).toEqual({ home: 2, away: 1 });
    });

    test('returns the score before several stamps that share an offset for the moment just before them', () => {
      const match = [stamp(0, 0, 0), stamp(4, 1, 0), stamp(4, 1, 1), stamp(9, 2, 1)];
      expect(lookup(match, 3.99)).toEqual({ home: 0, away: 0 });
    });

    test('answers from a list that does not start at offset 0', () => {
      expect(lookup([stamp(10, 0, 0), stamp(12, 1, 0)], 11)).toEqual({ home: 0, away: 0 });
    });

    test('answers from a match of a single stamp', () => {
      expect(lookup([stamp(0, 3, 2)], 7)).toEqual({ home: 3, away: 2 });
    });

    test('accepts -0 as the moment 0', () => {
      expect(lookup(SMALL_MATCH, -0)).toEqual({ home: 0, away: 0 });
    });

    test('returns a score that can be changed without changing the match', () => {
      const match = [stamp(0, 0, 0), stamp(1, 1, 0)];
      const score = lookup(match, 1);
      score.home = 99;
      expect(match[1]?.score).toEqual({ home: 1, away: 0 });
    });

    test('leaves the stamps unchanged', () => {
      const match = [stamp(0, 0, 0), stamp(2, 0, 1), stamp(5, 1, 1)];
      const before = structuredClone(match);
      lookup(match, 3);
      expect(match).toEqual(before);
    });

    test('agrees with a linear scan just before, at and after every goal of a generated match', () => {
      const match = generateGame({ seed: 7, probabilityScoreChanged: 0.001 });
      const goalOffsets = match
        .filter((s, i) => i > 0 && s.score.home + s.score.away !== goals(match[i - 1]))
        .map((s) => s.offset);
      expect(goalOffsets.length).toBeGreaterThan(20);
      const moments = goalOffsets.flatMap((offset) => [offset - 0.5, offset, offset + 0.5]);
      expect(moments.map((offset) => lookup(match, offset))).toEqual(
        moments.map((offset) => scoreByLinearScan(match, offset)),
      );
    });

    test('throws a RangeError naming the offset for a negative offset', () => {
      expect(() => lookup(SMALL_MATCH, -1)).toThrow(RangeError);
      expect(() => lookup(SMALL_MATCH, -1)).toThrow(/offset must be a finite, non-negative number, got -1/);
    });

    test('throws a RangeError naming the offset for NaN', () => {
      expect(() => lookup(SMALL_MATCH, Number.NaN)).toThrow(RangeError);
      expect(() => lookup(SMALL_MATCH, Number.NaN)).toThrow(/offset .*got NaN/);
    });

    test('throws a RangeError naming the offset for an infinite offset', () => {
      expect(() => lookup(SMALL_MATCH, Number.POSITIVE_INFINITY)).toThrow(RangeError);
      expect(() => lookup(SMALL_MATCH, Number.POSITIVE_INFINITY)).toThrow(/offset .*got Infinity/);
    });

    test('throws a RangeError for an offset before the first stamp', () => {
      const match = [stamp(10, 0, 0), stamp(12, 1, 0)];
      expect(() => lookup(match, 9.5)).toThrow(RangeError);
      expect(() => lookup(match, 9.5)).toThrow(/offset 9.5 is before the first stamp \(offset 10\)/);
    });

    test('throws a RangeError naming the stamps for an empty list', () => {
      expect(() => lookup([], 0)).toThrow(RangeError);
      expect(() => lookup([], 0)).toThrow(/stamps must not be empty/);
    });

    test('throws a TypeError naming the offset for an offset that is not a number', () => {
      expect(() => lookup(SMALL_MATCH, '3' as unknown as number)).toThrow(TypeError);
      expect(() => lookup(SMALL_MATCH, '3' as unknown as number)).toThrow(
        /offset must be a number, got the string "3"/,
      );
    });

    test('throws a TypeError naming the stamps for stamps that are not an array', () => {
      const notAnArray = { length: 1, 0: stamp(0, 0, 0) } as unknown as Stamp[];
      expect(() => lookup(notAnArray, 0)).toThrow(TypeError);
      expect(() => lookup(notAnArray, 0)).toThrow(
        /stamps must be an array of stamps, got a value of type object/,
      );
    });
  });
}
