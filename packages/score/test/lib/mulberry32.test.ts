import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../../src/lib/mulberry32.js';

function draws(seed: number, count: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => random());
}

describe('mulberry32', () => {
  test('repeats its sequence for the same seed', () => {
    expect(draws(123, 100)).toEqual(draws(123, 100));
  });

  test('gives different sequences for neighbouring seeds', () => {
    expect(draws(123, 5)).not.toEqual(draws(124, 5));
  });

  test('returns the first values of the reference C code for seed 0', () => {
    // The reference's 32-bit outputs (computed from the C code in another language), over 2^32.
    expect(draws(0, 3).map((value) => value * 2 ** 32)).toEqual([1144304738, 1416247, 958946056]);
  });

  test('returns only values in [0, 1)', () => {
    const values = draws(7, 100_000);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  test('spreads its values evenly over ten buckets (within 5 %)', () => {
    const buckets = new Array<number>(10).fill(0);
    for (const value of draws(7, 100_000)) {
      const bucket = Math.floor(value * 10);
      buckets[bucket] = (buckets[bucket] as number) + 1;
    }
    for (const count of buckets) expect(Math.abs(count / 10_000 - 1)).toBeLessThan(0.05);
  });
});
