/**
 * A per-key asynchronous mutex: callers of {@link KeyedMutex.run} with one key run one
 * after another, in call order; different keys run concurrently. It makes
 * read-modify-write sequences atomic within one process only.
 *
 * @module
 * @internal
 */

/** Serializes asynchronous critical sections per key. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `critical` once every earlier holder of `key` has finished.
   *
   * @param key - What is being protected (a storage key).
   * @param critical - The critical section.
   * @returns What `critical` returns (its rejection too).
   */
  async run<T>(key: string, critical: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The tail only ever resolves, so a failed holder never blocks or fails its successors.
    const tail = previous ? previous.then(() => done) : done;
    this.#tails.set(key, tail);
    if (previous) await previous;
    try {
      return await critical();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys currently held or awaited (0 when idle): lets tests see nothing leaks. */
  get size(): number {
    return this.#tails.size;
  }
}
