/**
 * Bounds how many password hashes run at once.
 *
 * Memory-hard hashing runs on libuv's thread pool, which the SQLite driver and node:crypto
 * share. Unbounded, a burst of logins fills every pool thread and every core: requests that
 * need no hashing at all (a profile read) then wait behind them. A small cap keeps a core and
 * pool threads free for everything else; excess logins queue here instead.
 *
 * @module
 */

import type { PasswordHasher } from '../types.js';

/**
 * Wraps `hasher` so that at most `limit` of its `hash`/`verify` calls run at once; the others
 * wait in arrival order.
 *
 * @param hasher - The hasher to wrap.
 * @param limit - Concurrent calls allowed (at least 1).
 * @returns A hasher with the same behaviour and the cap.
 */
export function limitHasher(hasher: PasswordHasher, limit: number): PasswordHasher {
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return {
    hash: (password) => run(() => hasher.hash(password)),
    verify: (hash, password) => run(() => hasher.verify(hash, password)),
    needsRehash: (hash) => hasher.needsRehash(hash),
  };
}
