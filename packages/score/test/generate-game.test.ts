import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  generateGame,
  generateStamp,
  INITIAL_STAMP,
  OFFSET_MAX_STEP,
  PROBABILITY_HOME_SCORE,
  PROBABILITY_SCORE_CHANGED,
  TIMESTAMPS_COUNT,
} from '../src/generate-game.js';
import type { Stamp } from '../src/types.js';
import { drawSequence, stamp } from './support/matches.js';

// Draws that change the score, and that keep it.
const GOAL = 0.99995;
const NO_GOAL = 0.5;

function totalGoals({ score }: Stamp): number {
  return score.home + score.away;
}

function goalsOf(match: readonly Stamp[]): number {
  return totalGoals(match[match.length - 1] as Stamp);
}

describe('the brief’s constants', () => {
  test('are exported with the brief’s values', () => {
    expect({ TIMESTAMPS_COUNT, PROBABILITY_SCORE_CHANGED, PROBABILITY_HOME_SCORE, OFFSET_MAX_STEP }).toEqual({
      TIMESTAMPS_COUNT: 50_000,
      PROBABILITY_SCORE_CHANGED: 0.0001,
      PROBABILITY_HOME_SCORE: 0.45,
      OFFSET_MAX_STEP: 3,
    });
  });

  test('include a frozen initial stamp at offset 0 with a score of 0–0', () => {
    expect(Object.isFrozen(INITIAL_STAMP) && Object.isFrozen(INITIAL_STAMP.score)).toBe(true);
    expect(INITIAL_STAMP).toEqual(stamp(0, 0, 0));
  });
});

describe('generateGame', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('makes 50 001 stamps by default: the initial one and 50 000 more', () => {
    expect(generateGame({ seed: 1 })).toHaveLength(50_001);
  });

  test('starts with a copy of the initial stamp that can be changed without changing the constant', () => {
    const [first] = generateGame({ seed: 1, timestampsCount: 0 });
    expect(first).toEqual(INITIAL_STAMP);
    expect(first).not.toBe(INITIAL_STAMP);
    expect(first?.score).not.toBe(INITIAL_STAMP.score);
  });

  test('advances every offset by 1, 2 or 3', () => {
    const match = generateGame({ seed: 2 });
    const steps = new Set(match.slice(1).map((s, i) => s.offset - (match[i] as Stamp).offset));
    expect([...steps].sort()).toEqual([1, 2, 3]);
  });

  test('adds at most one goal from one stamp to the next, never taking one back', () => {
    const match = generateGame({ seed: 3, probabilityScoreChanged: 0.01 });
    const changes = new Set(
      match.slice(1).map((s, i) => {
        const previous = (match[i] as Stamp).score;
        return `${s.score.home - previous.home},${s.score.away - previous.away}`;
      }),
    );
    expect([...changes].sort()).toEqual(['0,0', '0,1', '1,0']);
  });

  test('gives the same match for the same seed', () => {
    expect(generateGame({ seed: 42 })).toEqual(generateGame({ seed: 42 }));
  });

  test('gives different matches for different seeds', () => {
    expect(generateGame({ seed: 42 })).not.toEqual(generateGame({ seed: 43 }));
  });

  test('gives the recorded match for seed 1, so seeded matches stay reproducible across versions', () => {
    const match = generateGame({ seed: 1 });
    expect({
      goals: match.filter((s, i) => i > 0 && totalGoals(s) !== totalGoals(match[i - 1] as Stamp)),
      last: match[match.length - 1],
      offsetSum: match.reduce((sum, s) => sum + s.offset, 0),
    }).toEqual({
      goals: [
        stamp(4242, 1, 0),
        stamp(15225, 1, 1),
        stamp(37036, 2, 1),
        stamp(69581, 2, 2),
        stamp(83219, 2, 3),
      ],
      last: stamp(99794, 2, 3),
      offsetSum: 2496709932,
    });
  });

  test('turns an injected sequence of draws into the stamps the brief’s code would make', () => {
    const draws = drawSequence([
      ...[NO_GOAL, 0.0], // no goal; step floor(0 * 3) + 1 = 1
      ...[GOAL, 0.6, 0.7], // goal; 0.6 > 0.55: home; step floor(2.1) + 1 = 3
      ...[GOAL, 0.3, 0.4], // goal; 0.3 <= 0.55: away; step floor(1.2) + 1 = 2
      ...[0.1, 0.99], // no goal; step floor(2.97) + 1 = 3
    ]);
    expect(generateGame({ random: draws.random, timestampsCount: 4 })).toEqual([
      stamp(0, 0, 0),
      stamp(1, 0, 0),
      stamp(4, 1, 0),
      stamp(6, 1, 1),
      stamp(9, 1, 1),
    ]);
    expect(draws.remaining()).toBe(0);
  });

  test('draws the home-or-away decision only when the score changes', () => {
    // With an unconditional home draw, 0.9 would be taken for it and the step would need a third draw.
    const draws = drawSequence([NO_GOAL, 0.9]);
    expect(generateGame({ random: draws.random, timestampsCount: 1 })[1]).toEqual(stamp(3, 0, 0));
  });

  test('keeps the score when the change draw equals 1 - probabilityScoreChanged exactly', () => {
    const draws = drawSequence([1 - PROBABILITY_SCORE_CHANGED, 0]);
    expect(generateGame({ random: draws.random, timestampsCount: 1 })[1]?.score).toEqual({
      home: 0,
      away: 0,
    });
  });

  test('gives the goal to the away team when the home draw equals 1 - probabilityHomeScore exactly', () => {
    const draws = drawSequence([GOAL, 1 - PROBABILITY_HOME_SCORE, 0]);
    expect(generateGame({ random: draws.random, timestampsCount: 1 })[1]?.score).toEqual({
      home: 0,
      away: 1,
    });
  });

  test('maps the offset draw to steps of 1, 2 and 3 by thirds of [0, 1)', () => {
    const draws = drawSequence([NO_GOAL, 1 / 3 - 1e-9, NO_GOAL, 1 / 3, NO_GOAL, 0.9999999999]);
    const offsets = generateGame({ random: draws.random, timestampsCount: 3 }).map((s) => s.offset);
    expect(offsets).toEqual([0, 1, 3, 6]);
  });

  test('uses Math.random when given neither a seed nor a random source', () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(NO_GOAL).mockReturnValueOnce(0.5);
    expect(generateGame({ timestampsCount: 1 })).toEqual([stamp(0, 0, 0), stamp(2, 0, 0)]);
  });

  test('makes only the initial stamp when timestampsCount is 0', () => {
    expect(generateGame({ seed: 1, timestampsCount: 0 })).toEqual([stamp(0, 0, 0)]);
  });

  test('makes timestampsCount stamps after the initial one', () => {
    expect(generateGame({ seed: 1, timestampsCount: 7 })).toHaveLength(8);
  });

  test('makes a match without goals when probabilityScoreChanged is 0', () => {
    expect(goalsOf(generateGame({ seed: 1, probabilityScoreChanged: 0 }))).toBe(0);
  });

  test('scores a goal at every stamp when probabilityScoreChanged is 1', () => {
    expect(goalsOf(generateGame({ seed: 1, probabilityScoreChanged: 1, timestampsCount: 1000 }))).toBe(1000);
  });

  test('gives every goal to the home team when probabilityHomeScore is 1', () => {
    const match = generateGame({
      seed: 1,
      probabilityScoreChanged: 1,
      probabilityHomeScore: 1,
      timestampsCount: 100,
    });
    expect(match[match.length - 1]?.score).toEqual({ home: 100, away: 0 });
  });

  test('advances offsets one by one when offsetMaxStep is 1', () => {
    expect(generateGame({ seed: 1, offsetMaxStep: 1, timestampsCount: 5 }).map((s) => s.offset)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });

  test('continues from the given initialStamp', () => {
    const draws = drawSequence([NO_GOAL, 0]);
    expect(generateGame({ random: draws.random, timestampsCount: 1, initialStamp: stamp(10, 2, 1) })).toEqual(
      [stamp(10, 2, 1), stamp(11, 2, 1)],
    );
  });

  test('copies the given initialStamp rather than sharing it', () => {
    const initialStamp = stamp(10, 2, 1);
    const [first] = generateGame({ seed: 1, timestampsCount: 0, initialStamp });
    expect(first).not.toBe(initialStamp);
  });

  describe('rejects', () => {
    test.each([
      ['options that are not an object', 5, TypeError, /^generateGame: options must be an object, got 5$/],
      ['null options', null, TypeError, /options must be an object, got null/],
      [
        'a seed together with a random source',
        { seed: 1, random: Math.random },
        TypeError,
        /mutually exclusive/,
      ],
      [
        'a random source that is not a function',
        { random: 0.5 },
        TypeError,
        /options\.random must be a function/,
      ],
      [
        'a seed that is not a number',
        { seed: '1' },
        TypeError,
        /options\.seed must be a number, got the string "1"/,
      ],
      [
        'a negative seed',
        { seed: -1 },
        RangeError,
        /options\.seed must be an integer from 0 to 4294967295, got -1/,
      ],
      ['a fractional seed', { seed: 1.5 }, RangeError, /options\.seed must be an integer/],
      ['a seed beyond 32 bits', { seed: 2 ** 32 }, RangeError, /options\.seed must be an integer/],
      [
        'a probability that is not a number',
        { probabilityHomeScore: '0.5' },
        TypeError,
        /options\.probabilityHomeScore must be a number/,
      ],
      [
        'a probability above 1',
        { probabilityScoreChanged: 1.5 },
        RangeError,
        /options\.probabilityScoreChanged must be a probability between 0 and 1, got 1.5/,
      ],
      [
        'a negative probability',
        { probabilityHomeScore: -0.1 },
        RangeError,
        /options\.probabilityHomeScore must be a probability/,
      ],
      ['a NaN probability', { probabilityScoreChanged: Number.NaN }, RangeError, /got NaN/],
      [
        'an offsetMaxStep of 0',
        { offsetMaxStep: 0 },
        RangeError,
        /options\.offsetMaxStep must be an integer from 1 to/,
      ],
      [
        'a fractional offsetMaxStep',
        { offsetMaxStep: 2.5 },
        RangeError,
        /options\.offsetMaxStep must be an integer/,
      ],
      [
        'a negative timestampsCount',
        { timestampsCount: -1 },
        RangeError,
        /options\.timestampsCount must be an integer from 0 to 4294967294, got -1/,
      ],
      [
        'a timestampsCount that is not a number',
        { timestampsCount: 10n },
        TypeError,
        /options\.timestampsCount must be a number, got a value of type bigint/,
      ],
      [
        'a malformed initialStamp',
        { initialStamp: { offset: 0, score: { home: 0 } } },
        TypeError,
        /options\.initialStamp\.score\.away must be a number, got undefined/,
      ],
      [
        'an initialStamp with a negative offset',
        { initialStamp: stamp(-5, 0, 0) },
        RangeError,
        /options\.initialStamp\.offset must be a finite, non-negative number/,
      ],
    ])('%s', (_case, options, errorClass, message) => {
      const call = () => generateGame(options as never);
      expect(call).toThrow(errorClass);
      expect(call).toThrow(message);
    });

    test('a random source that returns 1, which would make a step of 4', () => {
      expect(() => generateGame({ random: () => 1, timestampsCount: 1 })).toThrow(
        new RangeError('generateGame: options.random must return a number in [0, 1), got 1'),
      );
    });

    test('a random source that returns something other than a number', () => {
      expect(() => generateGame({ random: () => '0.5' as unknown as number, timestampsCount: 1 })).toThrow(
        /options\.random must return a number in \[0, 1\), got the string "0.5"/,
      );
    });
  });
});

describe('generateStamp', () => {
  test('makes the next stamp from the previous one and the draws', () => {
    const draws = drawSequence([GOAL, 0.9, 0.5]);
    expect(generateStamp(stamp(7, 1, 1), { random: draws.random })).toEqual(stamp(9, 2, 1));
  });

  test('uses the brief’s probabilities by default: a home draw of 0.5 gives the goal to the away team', () => {
    const draws = drawSequence([GOAL, 0.5, 0]);
    expect(generateStamp(INITIAL_STAMP, { random: draws.random }).score).toEqual({ home: 0, away: 1 });
  });

  test('applies overridden probabilities and step', () => {
    const draws = drawSequence([0.5, 0.5, 0.5]);
    const options = {
      random: draws.random,
      probabilityScoreChanged: 0.6,
      probabilityHomeScore: 0.6,
      offsetMaxStep: 10,
    };
    expect(generateStamp(INITIAL_STAMP, options)).toEqual(stamp(6, 1, 0));
  });

  test('uses Math.random by default', () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(NO_GOAL).mockReturnValueOnce(0.9);
    expect(generateStamp(INITIAL_STAMP)).toEqual(stamp(3, 0, 0));
    vi.restoreAllMocks();
  });

  test('leaves the previous stamp unchanged', () => {
    const previous = stamp(7, 1, 1);
    generateStamp(previous, { random: drawSequence([GOAL, 0.9, 0.5]).random });
    expect(previous).toEqual(stamp(7, 1, 1));
  });

  test('rejects a malformed previous stamp, naming the field', () => {
    expect(() => generateStamp({ offset: 1 } as Stamp)).toThrow(
      new TypeError('generateStamp: previous.score must be an object { home, away }, got undefined'),
    );
  });

  test('rejects invalid options, naming itself and the option', () => {
    expect(() => generateStamp(INITIAL_STAMP, { offsetMaxStep: 0 })).toThrow(
      new RangeError(
        'generateStamp: options.offsetMaxStep must be an integer from 1 to 9007199254740991, got 0',
      ),
    );
  });
});
