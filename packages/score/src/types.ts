/**
 * The score of a match at one moment: goals scored by the home team and by the away team.
 *
 * @example
 * ```ts
 * import type { Score } from '@game/score';
 *
 * const score: Score = { home: 2, away: 1 };
 * ```
 */
export interface Score {
  /** Goals scored by the home team, a non-negative integer. */
  home: number;
  /** Goals scored by the away team, a non-negative integer. */
  away: number;
}

/**
 * One entry of a match: the score as it stands from the moment `offset` on.
 *
 * A match is a list of stamps sorted by `offset` (ascending; equal offsets allowed, the last one
 * wins). The brief's generator starts at offset 0 and adds 1, 2 or 3 per stamp.
 *
 * @example
 * ```ts
 * import type { Stamp } from '@game/score';
 *
 * const stamp: Stamp = { offset: 42, score: { home: 1, away: 0 } };
 * ```
 */
export interface Stamp {
  /** The moment of the stamp, a finite non-negative number in the match's time unit. */
  offset: number;
  /** The score from this moment until the next stamp. */
  score: Score;
}
