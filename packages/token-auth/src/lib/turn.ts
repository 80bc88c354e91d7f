/**
 * The end of the current turn of the event loop, for the SQL store's per-turn work (the user
 * cache's check, group commit, the purge's pauses between batches). It runs on the runtime's
 * own `setImmediate`, taken when this module loads: a test framework's fake timers, installed
 * later by an application's tests, would otherwise hold a group commit (the store's answer
 * never comes) or a cache check (the cache never looks again) until the test advances its
 * clock.
 *
 * @module
 * @internal
 */

const runtimeSetImmediate = globalThis.setImmediate;

/**
 * Calls `callback` once the current turn's I/O callbacks are done (`setImmediate`; a call made
 * from a `setImmediate` callback waits for the next turn's).
 *
 * @param callback - What to run.
 */
export function atEndOfTurn(callback: () => void): void {
  runtimeSetImmediate(callback);
}

/**
 * Resolves at the end of the current turn ({@link atEndOfTurn}), letting waiting I/O run.
 *
 * @returns A promise of the end of the turn.
 */
export function endOfTurn(): Promise<void> {
  return new Promise((resolve) => runtimeSetImmediate(resolve));
}
