/**
 * The @game/score demo behind GET /api/score/: one match generated from a fixed seed,
 * prepared once, queried in O(log n).
 *
 * @module
 */

import { generateGame, ScoreTimeline } from '@game/score';

/** The seed of the demo match: the same match on every start. */
export const DEMO_MATCH_SEED = 2024;

/**
 * Generates the demo match and returns its score lookup.
 *
 * @param seed - The match seed.
 * @returns The score at an offset (≥ 0): the score of the last stamp at or before it.
 * @example
 * ```ts
 * const scoreAt = createScoreDemo();
 * scoreAt(0); // { home: 0, away: 0 }
 * ```
 */
export function createScoreDemo(
  seed: number = DEMO_MATCH_SEED,
): (offset: number) => { home: number; away: number } {
  const timeline = new ScoreTimeline(generateGame({ seed }));
  return (offset) => {
    const { home, away } = timeline.scoreAt(offset);
    return { home, away };
  };
}
