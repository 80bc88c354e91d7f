import { describe, expect, it } from 'vitest';
import { EmailTakenError } from '../../src/errors.js';
import {
  hashOf,
  isEmailTaken,
  MINUTE_MS,
  manualClock,
  newHead,
  newSession,
  newUser,
  storedSession,
} from '../../src/testing/index.js';

describe('token-auth/testing fixtures', () => {
  it('manualClock starts at the given time and moves only when advanced', () => {
    const clock = manualClock(1_000);
    expect([clock.now(), clock.advance(500), clock.now()]).toEqual([1_000, 1_500, 1_500]);
  });

  it('hashOf is the lowercase hex SHA-256 of its input', () => {
    expect(hashOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('newSession makes a fresh id and head hash on every call, living one minute by default', () => {
    const [a, b] = [newSession({ userId: 1, createdAt: 5 }), newSession({ userId: 1, createdAt: 5 })];
    expect(a.id).not.toBe(b.id);
    expect(a.headHash).not.toBe(b.headHash);
    expect(a.headHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.expiresAt).toBe(5 + MINUTE_MS);
  });

  it('storedSession is the session as started: lastUsedAt at createdAt, never rotated', () => {
    const session = newSession({ userId: 1, createdAt: 5, userAgent: 'ua' });
    expect(storedSession(session)).toEqual({
      ...session,
      previousHash: null,
      rotatedAt: null,
      lastUsedAt: 5,
    });
  });

  it('newHead makes a fresh hash expiring when asked', () => {
    const [a, b] = [newHead(9), newHead(9)];
    expect(a.hash).not.toBe(b.hash);
    expect(a.expiresAt).toBe(9);
  });

  it('newUser derives the email key by lower-casing the email', () => {
    expect(newUser('Ada@Example.COM').emailKey).toBe('ada@example.com');
  });

  it.each([
    [new EmailTakenError('taken'), true],
    [Object.assign(new Error('copy of the package'), { code: 'email_taken' }), true],
    [new Error('backend down'), false],
    ['email_taken', false],
  ])('isEmailTaken(%s) is %s', (error, expected) => {
    expect(isEmailTaken(error)).toBe(expected);
  });
});
