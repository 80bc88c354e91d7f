/**
 * Keyv access shared by the parts of the Keyv store: key names, reads, writes with a TTL,
 * and the per-key locks.
 *
 * @module
 * @internal
 */

import type { Keyv } from 'keyv';
import { KeyedMutex } from '../../lib/mutex.js';

/** Checks that a value read back has the shape of the record it should be. */
export type Shape = (value: unknown) => boolean;

/** A record read with its Keyv expiry. */
export interface RawRecord<T> {
  /** The record. */
  value: T;
  /** Wall-clock epoch ms at which Keyv drops it, or `undefined` when it never expires. */
  expires: number | undefined;
}

/** Reads and writes the store's records in one Keyv instance, under one key prefix. */
export class KeyvRecords {
  /** Per-key locks: the store's atomicity, within this process. */
  readonly #mutex = new KeyedMutex();

  /**
   * @param keyv - The Keyv instance, with `throwOnErrors` on.
   * @param prefix - Prefix of every key, ending with `:`.
   * @param gcGraceMs - How long past the moment a record stops mattering the backend keeps it.
   */
  constructor(
    readonly keyv: Keyv,
    readonly prefix: string,
    readonly gcGraceMs: number,
  ) {}

  /** The key of record `kind` (`user`, `session`, …) with id `id`: `<prefix><kind>:<id>`. */
  key(kind: string, id?: string | number): string {
    return id === undefined ? `${this.prefix}${kind}` : `${this.prefix}${kind}:${id}`;
  }

  /**
   * The record at `key`, or `undefined`.
   * @throws Error naming `what` when the stored value does not have the expected shape.
   */
  async get<T>(key: string, shape: Shape, what: string): Promise<T | undefined> {
    return (await this.getRaw<T>(key, shape, what))?.value;
  }

  /** The record at `key` with its Keyv expiry, or `undefined`. */
  async getRaw<T>(key: string, shape: Shape, what: string): Promise<RawRecord<T> | undefined> {
    const raw = await this.keyv.getRaw(key);
    if (raw === undefined || raw.value === undefined || raw.value === null) return undefined;
    // The key is left out of the message: it may hold an email address.
    if (!shape(raw.value)) throw new Error(`A stored ${what} is malformed`);
    return { value: raw.value as T, expires: raw.expires ?? undefined };
  }

  /**
   * Keyv TTL of a record that matters until `until`, written at `now` (both epoch ms of
   * the callers' clock): its remaining life plus the grace period. Relative to `now`, not
   * to the wall clock, so that records of a clock far from it live as long as they matter.
   */
  ttl(until: number, now: number): number {
    return Math.max(1, Math.ceil(until - now + this.gcGraceMs));
  }

  /** Writes `value` at `key`, kept `ttlMs` milliseconds by the backend, or forever (`0`). */
  async set(key: string, value: unknown, ttlMs = 0): Promise<void> {
    // Keyv reads a TTL of 0 as "no TTL", even over a Keyv-wide default.
    if ((await this.keyv.set(key, value, ttlMs)) === false)
      throw new Error('The Keyv backend refused a write');
  }

  /** Deletes the record at `key` (a missing one is not an error). */
  async delete(key: string): Promise<void> {
    await this.keyv.delete(key);
  }

  /** Runs `critical` once every earlier holder of `key`'s lock is done. */
  lock<T>(key: string, critical: () => Promise<T>): Promise<T> {
    return this.#mutex.run(key, critical);
  }
}

/** Whether `value` is a plain object (a record), not an array or a primitive. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The epoch ms (callers' clock) at which a record stops mattering: `expiresAt` of a
 * session, token entry or session list, `resetAt` of a counter; `undefined` for records
 * that never expire.
 */
export function endOf(value: unknown): number | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.expiresAt === 'number') return value.expiresAt;
  return typeof value.resetAt === 'number' ? value.resetAt : undefined;
}
