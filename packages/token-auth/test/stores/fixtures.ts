/**
 * Shared fixtures of the store tests: the conformance suite's fixtures (clock, users,
 * sessions, hashes), temporary directories and a Keyv storage adapter that can be made to fail.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyvStoreAdapter } from 'keyv';
import { newUser } from '../../src/testing/fixtures.js';

export * from '../../src/testing/fixtures.js';

/** A fresh temporary directory and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'token-auth-stores-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The error a {@link FailingAdapter} throws once broken. */
export class BackendDown extends Error {
  constructor(operation: string) {
    super(`backend down during ${operation}`);
    this.name = 'BackendDown';
  }
}

/**
 * A Keyv storage adapter over a `Map` whose every call throws {@link BackendDown} once
 * `broken` is set: a backend that fails the way a lost connection does.
 */
export class FailingAdapter implements KeyvStoreAdapter {
  opts: Record<string, unknown> = {};
  namespace?: string;
  broken = false;
  readonly data = new Map<string, unknown>();

  #check(operation: string): void {
    if (this.broken) throw new BackendDown(operation);
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    this.#check('get');
    return this.data.get(key) as Value | undefined;
  }

  async set(key: string, value: unknown): Promise<boolean> {
    this.#check('set');
    this.data.set(key, value);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.#check('delete');
    return this.data.delete(key);
  }

  async clear(): Promise<void> {
    this.#check('clear');
    this.data.clear();
  }

  // Keyv's EventManager contract: adapters may emit errors; this one throws instead.
  on(): this {
    return this;
  }
}

/** A {@link FailingAdapter} that also records every call: reads by key, writes by key and size. */
export class RecordingAdapter extends FailingAdapter {
  readonly reads: string[] = [];
  readonly writes: { key: string; bytes: number }[] = [];

  override async get<Value>(key: string): Promise<Value | undefined> {
    this.reads.push(key);
    return super.get<Value>(key);
  }

  override async set(key: string, value: unknown): Promise<boolean> {
    this.writes.push({ key, bytes: typeof value === 'string' ? value.length : JSON.stringify(value).length });
    return super.set(key, value);
  }

  /** The calls recorded since the last call, then forgets them. */
  take(): { reads: string[]; writes: { key: string; bytes: number }[] } {
    return { reads: this.reads.splice(0), writes: this.writes.splice(0) };
  }
}

/** A user record as a store receives it: {@link newUser}, under the name older tests use. */
export const storedUser = newUser;
