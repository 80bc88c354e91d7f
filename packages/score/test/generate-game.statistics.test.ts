import { describe, expect, test } from 'vitest';
import { generateGame } from '../src/generate-game.js';
import type { Stamp } from '../src/types.js';

// Measured over 200 seeded default matches (10 million stamps, about 1 000 goals). The seeds are
// fixed, so these tests are deterministic; each tolerance is still at least 3 standard errors
// wide, so a faithful port passes with any seeds, while a wrong one misses by far more: steps
// 0..2 (mean 1), a 0.55 home share (6 standard errors away), `<` for `>` on the change draw (a
// goal at almost every stamp).
const SEEDS = Array.from({ length: 200 }, (_, index) => index + 1);

interface Tally {
  stamps: number;
  steps: [number, number, number, number];
  homeGoals: number;
  awayGoals: number;
}

function tally(matches: Iterable<readonly Stamp[]>): Tally {
  const result: Tally = { stamps: 0, steps: [0, 0, 0, 0], homeGoals: 0, awayGoals: 0 };
  for (const match of matches) {
    for (let index = 1; index < match.length; index++) {
      const previous = match[index - 1] as Stamp;
      const current = match[index] as Stamp;
      const step = current.offset - previous.offset;
      const bucket = step === 1 || step === 2 || step === 3 ? step : 0;
      result.steps[bucket]++;
      result.homeGoals += current.score.home - previous.score.home;
      result.awayGoals += current.score.away - previous.score.away;
      result.stamps++;
    }
  }
  return result;
}

function* defaultMatches() {
  for (const seed of SEEDS) yield generateGame({ seed });
}

describe('generateGame statistics', () => {
  const measured = tally(defaultMatches());
  const goals = measured.homeGoals + measured.awayGoals;

  test('makes only steps of 1, 2 and 3', () => {
    expect(measured.steps[0]).toBe(0);
  });

  test('makes a mean step of 2 (within 0.002)', () => {
    const mean = (measured.steps[1] + 2 * measured.steps[2] + 3 * measured.steps[3]) / measured.stamps;
    expect(Math.abs(mean - 2)).toBeLessThan(0.002);
  });

  test('makes each step of 1, 2 and 3 a third of the time (within 0.002)', () => {
    const shares = measured.steps.slice(1).map((count) => count / measured.stamps);
    for (const share of shares) expect(Math.abs(share - 1 / 3)).toBeLessThan(0.002);
  });

  test('scores about 1 goal per 10 000 stamps (within 15 %)', () => {
    expect(Math.abs(goals / measured.stamps / 1e-4 - 1)).toBeLessThan(0.15);
  });

  test('gives about 45 % of the goals to the home team (within 0.05)', () => {
    expect(Math.abs(measured.homeGoals / goals - 0.45)).toBeLessThan(0.05);
  });

  test('gives 45 % of the goals to the home team (within 0.005) when every stamp scores', () => {
    const frequent = tally(
      SEEDS.slice(0, 50).map((seed) =>
        generateGame({ seed, probabilityScoreChanged: 1, timestampsCount: 20_000 }),
      ),
    );
    const share = frequent.homeGoals / (frequent.homeGoals + frequent.awayGoals);
    expect(Math.abs(share - 0.45)).toBeLessThan(0.005);
  });
});
