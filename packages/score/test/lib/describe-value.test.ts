import { describe, expect, test } from 'vitest';
import { describeValue } from '../../src/lib/describe-value.js';

describe('describeValue', () => {
  test('shows a number as written, NaN and infinities included', () => {
    expect([1.5, Number.NaN, Number.NEGATIVE_INFINITY].map(describeValue)).toEqual([
      '1.5',
      'NaN',
      '-Infinity',
    ]);
  });

  test('quotes a short string', () => {
    expect(describeValue('3')).toBe('the string "3"');
  });

  test('cuts a long string after 20 characters, so a message never carries a whole payload', () => {
    expect(describeValue('x'.repeat(100))).toBe(`the string "${'x'.repeat(20)}…"`);
  });

  test('names null and undefined', () => {
    expect([null, undefined].map(describeValue)).toEqual(['null', 'undefined']);
  });

  test('calls an array an array', () => {
    expect(describeValue([1, 2])).toBe('an array');
  });

  test('gives the type of anything else, without its content', () => {
    expect([{ secret: 'x' }, true, 1n].map(describeValue)).toEqual([
      'a value of type object',
      'a value of type boolean',
      'a value of type bigint',
    ]);
  });
});
