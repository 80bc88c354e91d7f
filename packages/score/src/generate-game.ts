import { assertStamp } from './lib/assert-stamp.js';
import {
  type GeneratorDefaults,
  type ResolvedStampOptions,
  resolveGameOptions,
  resolveStampOptions,
} from './lib/resolve-generator-options.js';
import type { Score, Stamp } from './types.js';

/**
 * How many stamps the brief's generator adds after the initial one.
 *
 * @example
 * ```ts
 * import { generateGame, TIMESTAMPS_COUNT } from '@game/score';
 *
 * generateGame({ seed: 1 }).length === TIMESTAMPS_COUNT + 1; // true: 50 001 stamps
 * ```
 */
export const TIMESTAMPS_COUNT = 50_000;

/**
 * The probability that the score changes from one stamp to the next (exactly one goal).
 *
 * @example
 * ```ts
 * import { generateGame, PROBABILITY_SCORE_CHANGED } from '@game/score';
 *
 * // A goal-rich match: ten times the brief's rate.
 * const match = generateGame({ seed: 1, probabilityScoreChanged: 10 * PROBABILITY_SCORE_CHANGED });
 * ```
 */
export const PROBABILITY_SCORE_CHANGED = 0.0001;

/**
 * The probability that a goal, when one is scored, goes to the home team (else to the away team).
 *
 * @example
 * ```ts
 * import { generateGame, PROBABILITY_HOME_SCORE } from '@game/score';
 *
 * const homeAdvantage = generateGame({ seed: 1, probabilityHomeScore: PROBABILITY_HOME_SCORE + 0.1 });
 * ```
 */
export const PROBABILITY_HOME_SCORE = 0.45;

/**
 * The largest step between two offsets: each step is `floor(random() * OFFSET_MAX_STEP) + 1`,
 * so 1, 2 or 3, each with probability 1/3.
 *
 * @example
 * ```ts
 * import { generateGame, OFFSET_MAX_STEP } from '@game/score';
 *
 * const match = generateGame({ seed: 1, offsetMaxStep: OFFSET_MAX_STEP });
 * ```
 */
export const OFFSET_MAX_STEP = 3;

/**
 * The first stamp of every generated match: offset 0, score 0–0. Frozen; each generated match
 * starts with its own copy of it.
 *
 * @example
 * ```ts
 * import { generateGame, INITIAL_STAMP } from '@game/score';
 *
 * generateGame({ seed: 1 })[0]; // { offset: 0, score: { home: 0, away: 0 } }, equal to INITIAL_STAMP
 * ```
 */
export const INITIAL_STAMP: {
  /** 0: a match starts at moment 0. */
  readonly offset: number;
  /** 0–0: no goal yet. */
  readonly score: Readonly<Score>;
} = Object.freeze({
  offset: 0,
  score: Object.freeze({ home: 0, away: 0 }),
});

const DEFAULTS: GeneratorDefaults = {
  timestampsCount: TIMESTAMPS_COUNT,
  probabilityScoreChanged: PROBABILITY_SCORE_CHANGED,
  probabilityHomeScore: PROBABILITY_HOME_SCORE,
  offsetMaxStep: OFFSET_MAX_STEP,
  initialStamp: INITIAL_STAMP,
};

/** Options of {@link generateStamp}; {@link GenerateGameOptions} adds the ones for a whole match. */
export interface GenerateStampOptions {
  /**
   * The source of randomness: returns a float in [0, 1) like `Math.random`, which is the default.
   * Every value it returns is checked; anything else throws a RangeError. Mutually exclusive with
   * {@link GenerateGameOptions.seed}.
   * @defaultValue `Math.random`
   */
  random?: () => number;
  /**
   * The probability that the score changes at a stamp; a number in [0, 1].
   * @defaultValue {@link PROBABILITY_SCORE_CHANGED} (0.0001)
   */
  probabilityScoreChanged?: number;
  /**
   * The probability that a goal goes to the home team; a number in [0, 1].
   * @defaultValue {@link PROBABILITY_HOME_SCORE} (0.45)
   */
  probabilityHomeScore?: number;
  /**
   * The largest step between two offsets; an integer of at least 1.
   * @defaultValue {@link OFFSET_MAX_STEP} (3)
   */
  offsetMaxStep?: number;
}

/** Options of {@link generateGame}. All optional; without any, it is the brief's generator. */
export interface GenerateGameOptions extends GenerateStampOptions {
  /**
   * A seed (an integer from 0 to 2^32 − 1) for a reproducible match: the same seed gives the same
   * match on every platform, using a small built-in PRNG (mulberry32). Mutually exclusive with
   * {@link GenerateStampOptions.random}.
   * @defaultValue none: `Math.random` is used
   */
  seed?: number;
  /**
   * How many stamps to add after the initial one; a non-negative integer.
   * @defaultValue {@link TIMESTAMPS_COUNT} (50 000)
   */
  timestampsCount?: number;
  /**
   * The first stamp of the match (copied, never shared with the result).
   * @defaultValue {@link INITIAL_STAMP} (offset 0, score 0–0)
   */
  initialStamp?: Stamp;
}

// The brief's generate_stamp, step for step. The order of the draws is part of the port:
// the score-changed draw, then the home draw only if the score changed, then the offset draw.
function nextStamp(previous: Stamp, options: ResolvedStampOptions): Stamp {
  const { random } = options;
  const scoreChanged = random() > 1 - options.probabilityScoreChanged;
  const homeScoreChange = scoreChanged && random() > 1 - options.probabilityHomeScore ? 1 : 0;
  const awayScoreChange = scoreChanged && !homeScoreChange ? 1 : 0;
  const offsetChange = Math.floor(random() * options.offsetMaxStep) + 1;
  return {
    offset: previous.offset + offsetChange,
    score: {
      home: previous.score.home + homeScoreChange,
      away: previous.score.away + awayScoreChange,
    },
  };
}

/**
 * Generates the stamp that follows `previous`, exactly as the brief's `generate_stamp`: with
 * probability `probabilityScoreChanged` (`random() > 1 - p`) exactly one goal is scored, by the
 * home team with probability `probabilityHomeScore`, else by the away team; the offset grows by
 * `floor(random() * offsetMaxStep) + 1`. `previous` is not modified.
 *
 * @param previous - The stamp to continue from.
 * @param options - The source of randomness and the probabilities; the brief's by default.
 * @returns A new stamp.
 * @throws TypeError or RangeError naming the field, if `previous` is not a well-formed stamp, an
 *   option is invalid, or `random` returns a value outside [0, 1).
 *
 * @example
 * ```ts
 * import { generateStamp, INITIAL_STAMP } from '@game/score';
 *
 * // Draws: 0.5 (no goal), then 0.4 (step floor(0.4 * 3) + 1 = 2).
 * const draws = [0.5, 0.4];
 * generateStamp(INITIAL_STAMP, { random: () => draws.shift() ?? 0 });
 * // { offset: 2, score: { home: 0, away: 0 } }
 * ```
 */
export function generateStamp(previous: Stamp, options: GenerateStampOptions = {}): Stamp {
  assertStamp(previous, 'generateStamp: previous');
  return nextStamp(previous, resolveStampOptions(options, DEFAULTS, 'generateStamp'));
}

/**
 * Generates a match exactly as the brief's `generate_game`: the initial stamp (offset 0, score
 * 0–0), then {@link TIMESTAMPS_COUNT} more from {@link generateStamp}, each from the one before.
 * A default match has 50 001 stamps, offsets up to about 100 000 and about 5 goals.
 *
 * @param options - A `seed` or a `random` source, and overrides of the brief's constants.
 * @returns A new array of new stamps, sorted by offset (strictly increasing).
 * @throws TypeError or RangeError naming the option, if an option is invalid or `random`
 *   returns a value outside [0, 1).
 *
 * @example
 * ```ts
 * import { generateGame, getScore } from '@game/score';
 *
 * const match = generateGame({ seed: 42 }); // the same match on every run
 * getScore(match, 50_000); // the score at moment 50 000, e.g. { home: 1, away: 2 }
 * ```
 */
export function generateGame(options: GenerateGameOptions = {}): Stamp[] {
  const resolved = resolveGameOptions(options, DEFAULTS, 'generateGame');
  const { initialStamp } = resolved;
  let current: Stamp = {
    offset: initialStamp.offset,
    score: { home: initialStamp.score.home, away: initialStamp.score.away },
  };
  const stamps: Stamp[] = [current];
  for (let index = 0; index < resolved.timestampsCount; index++) {
    current = nextStamp(current, resolved);
    stamps.push(current);
  }
  return stamps;
}
