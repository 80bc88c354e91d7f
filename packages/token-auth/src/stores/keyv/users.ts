/**
 * Users in Keyv: `user:<id>` holds the record, `email:<emailKey>` the id that claims the
 * email, `meta:last-user-id` the id counter (the keys of 0.1.0, so its users carry over).
 * None of them expires.
 *
 * @module
 * @internal
 */

import { EmailTakenError } from '../../errors.js';
import { LruCache } from '../../lib/lru-cache.js';
import { definedFields } from '../../lib/options.js';
import type { NewUserRecord, UserPatch, UserRecord } from '../port.js';
import { isObject, type KeyvRecords } from './records.js';

const isUser = (value: unknown) => isObject(value) && typeof value.id === 'number';
const isId = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The user operations of the Keyv store, with a write-through cache of user records. */
export class KeyvUsers {
  readonly #records: KeyvRecords;
  readonly #cache: LruCache<number, UserRecord> | undefined;
  /**
   * Counts the starts and ends of user writes: a read fills the cache only when the count
   * did not move while it was in flight, so that a backend answering a read after a later
   * write (a pool of connections) cannot leave stale data in the cache.
   */
  #writes = 0;

  /**
   * @param records - The store's records.
   * @param cacheSize - How many users to cache; `0` for none.
   */
  constructor(records: KeyvRecords, cacheSize: number) {
    this.#records = records;
    this.#cache = cacheSize > 0 ? new LruCache(cacheSize) : undefined;
  }

  /** {@inheritDoc TokenAuthStore.createUser} */
  create(user: NewUserRecord): Promise<UserRecord> {
    const claimKey = this.#records.key('email', user.emailKey);
    return this.#records.lock(claimKey, async () => {
      if (await this.getByEmailKey(user.emailKey))
        throw new EmailTakenError('This email is already registered');
      const record: UserRecord = { ...user, id: await this.#nextId() };
      // The claim first: a claim counts only while its user exists and carries its key, so a
      // failure between the two writes leaves no email blocked.
      await this.#records.set(claimKey, record.id);
      await this.#put(record);
      return { ...record };
    });
  }

  /** {@inheritDoc TokenAuthStore.getUserById} */
  async getById(id: number): Promise<UserRecord | undefined> {
    const cached = this.#cache?.get(id);
    // Copies in and out: callers may change what they get without changing the cache.
    if (cached) return { ...cached };
    const writesBefore = this.#writes;
    const user = await this.#records.get<UserRecord>(this.#records.key('user', id), isUser, 'user record');
    if (user && this.#writes === writesBefore) this.#cache?.set(id, { ...user });
    return user;
  }

  /** {@inheritDoc TokenAuthStore.getUserByEmailKey} */
  async getByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    const id = await this.#records.get<number>(this.#records.key('email', emailKey), isId, 'email claim');
    if (id === undefined) return undefined;
    const user = await this.getById(id);
    return user?.emailKey === emailKey ? user : undefined;
  }

  /** {@inheritDoc TokenAuthStore.updateUser} */
  update(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.#records.lock(this.#records.key('user', id), async () => {
      const user = await this.getById(id);
      if (!user) return undefined;
      const updated: UserRecord = { ...user, ...definedFields(patch), id };
      if (updated.emailKey === user.emailKey) {
        await this.#put(updated);
        return updated;
      }
      // Both claims are locked, in a fixed order so that two swaps cannot deadlock.
      const [first, second] = [user.emailKey, updated.emailKey].sort() as [string, string];
      return this.#records.lock(this.#records.key('email', first), () =>
        this.#records.lock(this.#records.key('email', second), async () => {
          const owner = await this.getByEmailKey(updated.emailKey);
          if (owner && owner.id !== id) throw new EmailTakenError('This email is already registered');
          await this.#records.set(this.#records.key('email', updated.emailKey), id);
          await this.#put(updated);
          await this.#records.delete(this.#records.key('email', user.emailKey));
          return updated;
        }),
      );
    });
  }

  async #nextId(): Promise<number> {
    // The key 0.1.0 used, so that an existing store keeps counting from its last id.
    const key = this.#records.key('meta', 'last-user-id');
    return this.#records.lock(key, async () => {
      const next = ((await this.#records.get<number>(key, isId, 'user id counter')) ?? 0) + 1;
      await this.#records.set(key, next);
      return next;
    });
  }

  /** Writes a user record, keeping the cache exact even when the write fails midway. */
  async #put(user: UserRecord): Promise<void> {
    this.#writes++;
    this.#cache?.delete(user.id);
    try {
      await this.#records.set(this.#records.key('user', user.id), user);
      this.#cache?.set(user.id, { ...user });
    } catch (error) {
      // A read that fitted inside the failed write may have cached either version.
      this.#cache?.delete(user.id);
      throw error;
    } finally {
      this.#writes++;
    }
  }
}
