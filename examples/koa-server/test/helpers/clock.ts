/** A settable clock for token-auth's `now` option: tests move time instead of sleeping. */
export interface TestClock {
  /** The current time, epoch ms. */
  now: () => number;
  /** Moves the clock forward. */
  advance: (ms: number) => void;
}

/** A clock starting at the real time (so JWT `iat` values look ordinary). */
export function createClock(start: number = Date.now()): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}
