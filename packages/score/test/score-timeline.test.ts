import { describe, expect, test } from 'vitest';
import { generateGame } from '../src/generate-game.js';
import { ScoreTimeline } from '../src/score-timeline.js';
import type { Stamp } from '../src/types.js';
import { describeLookupContract } from './support/lookup-contract.js';
import { SMALL_MATCH, stamp } from './support/matches.js';

describeLookupContract('ScoreTimeline#scoreAt', (stamps, offset) =>
  new ScoreTimeline(stamps).scoreAt(offset),
);

function build(stamps: readonly unknown[]): ScoreTimeline {
  return new ScoreTimeline(stamps as Stamp[]);
}

describe('ScoreTimeline', () => {
  test('counts the stamps it was built from', () => {
    expect(new ScoreTimeline(SMALL_MATCH).stampCount).toBe(5);
  });

  test('exposes the offset of the first stamp', () => {
    expect(new ScoreTimeline([stamp(4, 0, 0), stamp(9, 1, 0)]).firstOffset).toBe(4);
  });

  test('exposes the offset of the last stamp', () => {
    expect(new ScoreTimeline([stamp(4, 0, 0), stamp(9, 1, 0)]).lastOffset).toBe(9);
  });

  test('is a snapshot: changing the stamps afterwards does not change its answers', () => {
    const match = [stamp(0, 0, 0), stamp(2, 1, 0)];
    const timeline = new ScoreTimeline(match);
    (match[1] as Stamp).score.home = 5;
    expect(timeline.scoreAt(2)).toEqual({ home: 1, away: 0 });
  });

  test('returns a new object on every lookup', () => {
    const timeline = new ScoreTimeline(SMALL_MATCH);
    expect(timeline.scoreAt(3)).not.toBe(timeline.scoreAt(3));
  });

  test('accepts a score that goes down, and answers with it', () => {
    const timeline = new ScoreTimeline([stamp(0, 0, 0), stamp(3, 1, 0), stamp(5, 0, 0)]);
    expect(timeline.scoreAt(6)).toEqual({ home: 0, away: 0 });
  });

  test('accepts stamps that carry extra properties', () => {
    const timeline = build([{ offset: 0, score: { home: 1, away: 0, period: 2 }, note: 'kick-off' }]);
    expect(timeline.scoreAt(0)).toEqual({ home: 1, away: 0 });
  });

  test('answers the default generated match like getScore does at its last offset', () => {
    const match = generateGame({ seed: 11 });
    const timeline = new ScoreTimeline(match);
    expect(timeline.scoreAt(timeline.lastOffset)).toEqual(match[match.length - 1]?.score);
  });

  test('names the method in lookup errors', () => {
    expect(() => new ScoreTimeline(SMALL_MATCH).scoreAt(-1)).toThrow(/^ScoreTimeline\.scoreAt: /);
  });

  describe('validation', () => {
    test('rejects a stamp that is not an object, naming its index', () => {
      expect(() => build([stamp(0, 0, 0), null])).toThrow(
        new TypeError(
          'ScoreTimeline: stamps[1] must be an object { offset, score: { home, away } }, got null',
        ),
      );
    });

    test('rejects a hole in a sparse array, naming its index', () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
      expect(() => build([stamp(0, 0, 0), , stamp(2, 0, 0)])).toThrow(
        /stamps\[1\] must be an object.*got undefined/,
      );
    });

    test('rejects an offset that is not a number, naming the stamp', () => {
      expect(() => build([stamp(0, 0, 0), { offset: '2', score: { home: 0, away: 0 } }])).toThrow(
        new TypeError('ScoreTimeline: stamps[1].offset must be a number, got the string "2"'),
      );
    });

    test('rejects a negative offset, naming the stamp', () => {
      expect(() => build([stamp(-1, 0, 0)])).toThrow(
        new RangeError('ScoreTimeline: stamps[0].offset must be a finite, non-negative number, got -1'),
      );
    });

    test('rejects an infinite offset, naming the stamp', () => {
      expect(() => build([stamp(0, 0, 0), stamp(Number.POSITIVE_INFINITY, 0, 0)])).toThrow(
        /stamps\[1\]\.offset must be a finite, non-negative number, got Infinity/,
      );
    });

    test('rejects a NaN offset, naming the stamp', () => {
      expect(() => build([stamp(Number.NaN, 0, 0)])).toThrow(/stamps\[0\]\.offset .*got NaN/);
    });

    test('rejects offsets out of order, naming both stamps', () => {
      expect(() => build([stamp(0, 0, 0), stamp(5, 0, 0), stamp(1, 0, 0)])).toThrow(
        new RangeError(
          'ScoreTimeline: stamps[2].offset (1) is less than stamps[1].offset (5): stamps must be sorted by offset',
        ),
      );
    });

    test('rejects a stamp without a score object, naming the stamp', () => {
      expect(() => build([{ offset: 0, score: [0, 0] }])).toThrow(
        new TypeError('ScoreTimeline: stamps[0].score must be an object { home, away }, got an array'),
      );
    });

    test('rejects goals that are not numbers, naming the team', () => {
      expect(() => build([{ offset: 0, score: { home: '1', away: 0 } }])).toThrow(
        new TypeError('ScoreTimeline: stamps[0].score.home must be a number, got the string "1"'),
      );
    });

    test('rejects fractional goals, naming the team', () => {
      expect(() => build([stamp(0, 0, 0.5)])).toThrow(
        new RangeError('ScoreTimeline: stamps[0].score.away must be a non-negative integer, got 0.5'),
      );
    });

    test('rejects negative goals, naming the team', () => {
      expect(() => build([stamp(0, 0, 0), stamp(1, -1, 0)])).toThrow(
        /stamps\[1\]\.score\.home must be a non-negative integer, got -1/,
      );
    });

    test('rejects goals beyond the safe integers, naming the team', () => {
      expect(() => build([stamp(0, 2 ** 53, 0)])).toThrow(
        /stamps\[0\]\.score\.home must be a non-negative integer/,
      );
    });

    test('rejects stamps that are not an array', () => {
      expect(() => build('0,0,0' as unknown as unknown[])).toThrow(
        new TypeError('ScoreTimeline: stamps must be an array of stamps, got the string "0,0,0"'),
      );
    });

    test('rejects an empty list', () => {
      expect(() => build([])).toThrow(
        new RangeError('ScoreTimeline: stamps must not be empty: a match has at least one stamp'),
      );
    });
  });
});
