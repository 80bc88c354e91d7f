/**
 * A small least-recently-used cache over a `Map` (which keeps insertion order).
 *
 * @module
 */

/** A bounded map that evicts its least recently used entry when full. */
export class LruCache<K, V> {
  readonly #maxSize: number;
  readonly #entries = new Map<K, V>();

  /** @param maxSize - The most entries kept; a positive integer. */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** The number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key` (now the most recently used), or `undefined`. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Re-insert to move the entry to the "most recent" end of the Map's order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` under `key`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#maxSize) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  /** Forgets `key`. */
  delete(key: K): void {
    this.#entries.delete(key);
  }
}
