import { describe, expect, test } from 'vitest';
import { generateGame } from '../src/generate-game.js';
import { getScore } from '../src/get-score.js';
import { mulberry32 } from '../src/lib/mulberry32.js';
import { ScoreTimeline } from '../src/score-timeline.js';
import type { Score, Stamp } from '../src/types.js';
import { type RandomMatchShape, randomMatch, scoreByLinearScan } from './support/matches.js';

// Both lookups against the linear-scan oracle, over many seeded matches of every shape and many
// moments: at each stamp, just before and after it, in gaps, fractional, after the end and (for
// matches that start late) before the start, where all three must refuse.

type Answer = Score | 'RangeError';

function answer(lookup: () => Score): Answer {
  try {
    return lookup();
  } catch (error) {
    if (error instanceof RangeError) return 'RangeError';
    throw error;
  }
}

function moments(match: readonly Stamp[], seed: number, randomCount: number): number[] {
  const random = mulberry32(seed);
  const first = (match[0] as Stamp).offset;
  const last = (match[match.length - 1] as Stamp).offset;
  const around = match.flatMap(({ offset }) => [offset, offset + 0.5, Math.max(0, offset - 1e-6)]);
  const anywhere = Array.from({ length: randomCount }, () => random() * (last + 10));
  const whole = Array.from({ length: randomCount }, () => Math.floor(random() * (last + 10)));
  return [...around, ...anywhere, ...whole, 0, first, last, last + 1, Number.MAX_VALUE];
}

function mismatches(match: readonly Stamp[], offsets: readonly number[]): string[] {
  const timeline = new ScoreTimeline(match);
  const found: string[] = [];
  for (const offset of offsets) {
    const expected: Answer = scoreByLinearScan(match, offset) ?? 'RangeError';
    const fromGetScore = answer(() => getScore(match, offset));
    const fromTimeline = answer(() => timeline.scoreAt(offset));
    const same = (actual: Answer) => JSON.stringify(actual) === JSON.stringify(expected);
    if (!same(fromGetScore) || !same(fromTimeline)) {
      found.push(
        `offset ${offset}: expected ${JSON.stringify(expected)}, getScore ${JSON.stringify(fromGetScore)}, timeline ${JSON.stringify(fromTimeline)}`,
      );
    }
  }
  return found;
}

function shapeFor(seed: number): RandomMatchShape {
  const random = mulberry32(seed ^ 0x5eed);
  return {
    length: 1 + Math.floor(random() * 400),
    firstOffset: random() < 0.5 ? 0 : Math.floor(random() * 50) * 0.5,
    goalProbability: [0, 0.01, 0.1, 0.5][Math.floor(random() * 4)] as number,
    maxStep: 1 + Math.floor(random() * 4),
    stepUnit: [1, 0.5, 0.1][Math.floor(random() * 3)] as number,
  };
}

describe('getScore and ScoreTimeline#scoreAt agree with a linear scan', () => {
  test('on 300 random matches with duplicates, fractional offsets, late starts and corrections', () => {
    const found = Array.from({ length: 300 }, (_, seed) => seed).flatMap((seed) => {
      const match = randomMatch(seed, shapeFor(seed));
      return mismatches(match, moments(match, seed, 200)).map((line) => `seed ${seed}: ${line}`);
    });
    expect(found).toEqual([]);
  });

  test('on generated matches with frequent goals, at every stamp and 2 000 random moments', () => {
    const found = [1, 2, 3].flatMap((seed) => {
      const match = generateGame({ seed, timestampsCount: 5_000, probabilityScoreChanged: 0.01 });
      return mismatches(match, moments(match, seed, 1_000)).map((line) => `seed ${seed}: ${line}`);
    });
    expect(found).toEqual([]);
  });

  test('on default generated matches, at 1 000 random moments each', () => {
    const found = [4, 5].flatMap((seed) => {
      const match = generateGame({ seed });
      const random = mulberry32(seed);
      const last = (match[match.length - 1] as Stamp).offset;
      const offsets = Array.from({ length: 1_000 }, () => random() * (last + 100));
      return mismatches(match, offsets).map((line) => `seed ${seed}: ${line}`);
    });
    expect(found).toEqual([]);
  });
});
