import { mulberry32 } from '../../src/lib/mulberry32.js';
import type { Score, Stamp } from '../../src/types.js';

/** A stamp, written short. */
export function stamp(offset: number, home: number, away: number): Stamp {
  return { offset, score: { home, away } };
}

/**
 * A small hand-made match used by the lookup tests: stamps at 0, 2, 3, 6 and 7, so moments 1, 4
 * and 5 have no stamp; goals at 3 (home), 6 (away) and 7 (home).
 */
export const SMALL_MATCH: readonly Stamp[] = Object.freeze([
  stamp(0, 0, 0),
  stamp(2, 0, 0),
  stamp(3, 1, 0),
  stamp(6, 1, 1),
  stamp(7, 2, 1),
]);

/**
 * The oracle: the score of the last stamp at or before `offset`, by a plain linear scan over the
 * whole list. `undefined` when no stamp is at or before `offset`.
 */
export function scoreByLinearScan(stamps: readonly Stamp[], offset: number): Score | undefined {
  let found: Score | undefined;
  for (const { offset: stampOffset, score } of stamps) {
    if (stampOffset <= offset) found = { home: score.home, away: score.away };
  }
  return found;
}

/**
 * A `random` source that returns `values` in order and throws once they run out, so a test can
 * check how many draws were made. `remaining()` tells how many are left.
 */
export function drawSequence(values: readonly number[]): { random: () => number; remaining: () => number } {
  let next = 0;
  return {
    random: () => {
      if (next >= values.length)
        throw new Error(`drawSequence: draw ${next + 1} requested, only ${values.length} given`);
      return values[next++] as number;
    },
    remaining: () => values.length - next,
  };
}

/** The shape of a random test match. */
export interface RandomMatchShape {
  length: number;
  firstOffset: number;
  goalProbability: number;
  /** Steps are integers from 0 (a duplicate offset) to `maxStep`, times `stepUnit`. */
  maxStep: number;
  stepUnit: number;
}

/**
 * A random match of any shape, unlike the brief's generator: duplicates, fractional offsets, a
 * start after 0, frequent goals, and occasional corrections (a goal taken back).
 */
export function randomMatch(seed: number, shape: RandomMatchShape): Stamp[] {
  const random = mulberry32(seed);
  let offset = shape.firstOffset;
  let home = 0;
  let away = 0;
  const stamps = [stamp(offset, home, away)];
  for (let index = 1; index < shape.length; index++) {
    offset += Math.floor(random() * (shape.maxStep + 1)) * shape.stepUnit;
    if (random() < shape.goalProbability) {
      const draw = random();
      if (draw < 0.45) home++;
      else if (draw < 0.95 || home === 0) away++;
      else home--;
    }
    stamps.push(stamp(offset, home, away));
  }
  return stamps;
}
