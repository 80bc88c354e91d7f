import { describe, expect, it } from 'vitest';
import { authorizationHeaders, singleAuthorization } from '../../src/http/bearer.js';
import { HttpProblem } from '../../src/http/problem.js';

describe('authorizationHeaders', () => {
  it('finds every Authorization header in the raw names, whatever their case, in order', () => {
    const raw = ['Host', 'x', 'Authorization', 'Bearer a', 'accept', '*/*', 'AUTHORIZATION', 'Bearer b'];
    expect(authorizationHeaders(raw)).toEqual(['Bearer a', 'Bearer b']);
  });

  it('ignores names of the same length and a name without a value', () => {
    expect(authorizationHeaders(['authorisation', 'Bearer a', 'x-forwarded-x', 'y'])).toEqual([]);
    expect(authorizationHeaders(['authorization'])).toEqual([]);
    expect(authorizationHeaders([])).toEqual([]);
  });

  it('feeds singleAuthorization, which refuses two headers with a 400', () => {
    expect(singleAuthorization(authorizationHeaders(['authorization', 'Bearer a']))).toBe('Bearer a');
    expect(singleAuthorization(authorizationHeaders(['Host', 'x']))).toBeUndefined();
    const two = authorizationHeaders(['Authorization', 'Bearer a', 'authorization', 'Bearer b']);
    let caught: unknown;
    try {
      singleAuthorization(two);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpProblem);
    expect((caught as HttpProblem).status).toBe(400);
  });
});
