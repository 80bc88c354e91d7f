import { describe, expect, test } from 'vitest';
import { generateGame } from '../src/generate-game.js';
import { getScore } from '../src/get-score.js';
import { describeLookupContract } from './support/lookup-contract.js';
import { stamp } from './support/matches.js';

describeLookupContract('getScore', getScore);

describe('getScore', () => {
  test('returns a new object rather than the stamp’s own score', () => {
    const match = [stamp(0, 0, 0), stamp(1, 1, 0)];
    expect(getScore(match, 1)).not.toBe(match[1]?.score);
  });

  test('reads a frozen match', () => {
    const match = Object.freeze([Object.freeze(stamp(0, 0, 0)), Object.freeze(stamp(2, 0, 1))]);
    expect(getScore(match, 2)).toEqual({ home: 0, away: 1 });
  });

  test('names itself in its error messages', () => {
    expect(() => getScore([], 0)).toThrow(/^getScore: /);
  });

  test('returns the final score of a default generated match at its last offset', () => {
    const match = generateGame({ seed: 3 });
    const last = match[match.length - 1];
    expect(getScore(match, last?.offset ?? 0)).toEqual(last?.score);
  });
});
