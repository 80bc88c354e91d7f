/**
 * The rules of the port that stores written in TypeScript share (the Redis store has them
 * in Lua, the SQL store in its statements): a throttling window, and what a presented hash
 * that is not the head of its session is.
 *
 * @module
 * @internal
 */

import type { HitResult, RotateResult, SessionRecord } from '../stores/port.js';

/**
 * The counter after one more hit: a window that ended (`now >= resetAt`) restarts at 1.
 *
 * @param counter - The stored counter, or `undefined`.
 * @param windowMs - Length of a new window.
 * @param now - The core's clock, epoch ms.
 * @returns The counter to store and answer.
 */
export function nextHit(counter: HitResult | undefined, windowMs: number, now: number): HitResult {
  return !counter || now >= counter.resetAt
    ? { count: 1, resetAt: now + windowMs }
    : { count: counter.count + 1, resetAt: counter.resetAt };
}

/**
 * The live count of a counter at `now`: `{ count: 0, resetAt: now }` once its window ended.
 *
 * @param counter - The stored counter, or `undefined`.
 * @param now - The core's clock, epoch ms.
 * @returns The hits of the live window and when it ends.
 */
export function liveHits(counter: HitResult | undefined, now: number): HitResult {
  return !counter || now >= counter.resetAt ? { count: 0, resetAt: now } : { ...counter };
}

/**
 * What a presented hash that belongs to `session` but is not its head is.
 *
 * @param session - The session the hash leads to (a copy the caller may hand out).
 * @param presentedHash - The presented hash.
 * @param now - The core's clock, epoch ms.
 * @returns `expired` once the session has expired, else `parent` for its head's immediate
 *   parent and `reused` for an older token.
 */
export function notHead(session: SessionRecord, presentedHash: string, now: number): RotateResult {
  if (now >= session.expiresAt) return { status: 'expired' };
  return { status: presentedHash === session.previousHash ? 'parent' : 'reused', session };
}
