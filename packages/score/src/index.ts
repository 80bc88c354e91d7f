/**
 * The score of a match at any moment: a faithful, seedable port of the brief's match generator,
 * an O(log n) {@link getScore}, and a prepared {@link ScoreTimeline} for many lookups.
 *
 * @packageDocumentation
 */
export {
  type GenerateGameOptions,
  type GenerateStampOptions,
  generateGame,
  generateStamp,
  INITIAL_STAMP,
  OFFSET_MAX_STEP,
  PROBABILITY_HOME_SCORE,
  PROBABILITY_SCORE_CHANGED,
  TIMESTAMPS_COUNT,
} from './generate-game.js';
export { getScore } from './get-score.js';
export { ScoreTimeline } from './score-timeline.js';
export type { Score, Stamp } from './types.js';
