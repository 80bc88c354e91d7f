import type { Stamp } from '../types.js';
import { assertStamp } from './assert-stamp.js';
import { describeValue } from './describe-value.js';
import { mulberry32 } from './mulberry32.js';

/** The stamp options with every default applied and every value checked. */
export interface ResolvedStampOptions {
  random: () => number;
  probabilityScoreChanged: number;
  probabilityHomeScore: number;
  offsetMaxStep: number;
}

/** The game options with every default applied and every value checked. */
export interface ResolvedGameOptions extends ResolvedStampOptions {
  timestampsCount: number;
  initialStamp: Stamp;
}

/** The defaults, passed in by the public module that owns them. */
export interface GeneratorDefaults {
  timestampsCount: number;
  probabilityScoreChanged: number;
  probabilityHomeScore: number;
  offsetMaxStep: number;
  initialStamp: Stamp;
}

const MAX_UINT32 = 0xffffffff;

function assertOptionsObject(options: unknown, where: string): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
}

function probability(value: unknown, name: string, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: options.${name} must be a number, got ${describeValue(value)}`);
  }
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${where}: options.${name} must be a probability between 0 and 1, got ${value}`);
  }
  return value;
}

function integer(
  value: unknown,
  name: string,
  fallback: number,
  [min, max]: readonly [number, number],
  where: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: options.${name} must be a number, got ${describeValue(value)}`);
  }
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${where}: options.${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

// Every draw is checked: a source returning 1 (or NaN) would silently produce a step of 4 (or NaN).
function checkedRandom(source: () => number, where: string): () => number {
  return function random(): number {
    const value = source();
    if (!(typeof value === 'number' && value >= 0 && value < 1)) {
      throw new RangeError(
        `${where}: options.random must return a number in [0, 1), got ${describeValue(value)}`,
      );
    }
    return value;
  };
}

function randomSource(options: Record<string, unknown>, where: string): () => number {
  const { random, seed } = options;
  if (random !== undefined && seed !== undefined) {
    throw new TypeError(`${where}: options.random and options.seed are mutually exclusive: pass one of them`);
  }
  if (random !== undefined) {
    if (typeof random !== 'function') {
      throw new TypeError(
        `${where}: options.random must be a function returning [0, 1), got ${describeValue(random)}`,
      );
    }
    return checkedRandom(random as () => number, where);
  }
  if (seed !== undefined) return mulberry32(integer(seed, 'seed', 0, [0, MAX_UINT32], where));
  return Math.random;
}

/** Applies the defaults to the options of one stamp; throws a TypeError or RangeError naming the option. */
export function resolveStampOptions(
  options: unknown,
  defaults: GeneratorDefaults,
  where: string,
): ResolvedStampOptions {
  assertOptionsObject(options, where);
  return {
    random: randomSource(options, where),
    probabilityScoreChanged: probability(
      options.probabilityScoreChanged,
      'probabilityScoreChanged',
      defaults.probabilityScoreChanged,
      where,
    ),
    probabilityHomeScore: probability(
      options.probabilityHomeScore,
      'probabilityHomeScore',
      defaults.probabilityHomeScore,
      where,
    ),
    offsetMaxStep: integer(
      options.offsetMaxStep,
      'offsetMaxStep',
      defaults.offsetMaxStep,
      [1, Number.MAX_SAFE_INTEGER],
      where,
    ),
  };
}

/** Applies the defaults to the options of a whole game; throws a TypeError or RangeError naming the option. */
export function resolveGameOptions(
  options: unknown,
  defaults: GeneratorDefaults,
  where: string,
): ResolvedGameOptions {
  const resolved = resolveStampOptions(options, defaults, where);
  const { timestampsCount, initialStamp = defaults.initialStamp } = options as Record<string, unknown>;
  assertStamp(initialStamp, `${where}: options.initialStamp`);
  return {
    ...resolved,
    // An array holds at most 2^32 - 1 elements: the initial stamp plus the generated ones.
    timestampsCount: integer(
      timestampsCount,
      'timestampsCount',
      defaults.timestampsCount,
      [0, MAX_UINT32 - 1],
      where,
    ),
    initialStamp,
  };
}
