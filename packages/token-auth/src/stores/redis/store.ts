/**
 * The Redis store: every port method is one Redis command or one Lua script.
 *
 * @module
 */

import type { Redis } from 'ioredis';
import { ConfigError, EmailTakenError } from '../../errors.js';
import type {
  HitResult,
  NewSessionRecord,
  NewUserRecord,
  NextHead,
  RotateResult,
  SessionRecord,
  SettingsChange,
  StoredSettings,
  TokenAuthStore,
  UserPatch,
  UserRecord,
} from '../port.js';
import {
  type RedisStoreOptions,
  type ResolvedRedisStoreOptions,
  resolveRedisStoreOptions,
} from './options.js';
import {
  asArray,
  parseChange,
  parseSession,
  parseUser,
  sessionFields,
  toInteger,
  toNumber,
  userFields,
} from './records.js';
import { HIT } from './scripts/hits.js';
import {
  END_SESSION,
  END_USER_SESSIONS,
  LIST_SESSIONS,
  ROTATE,
  SESSION_FIELDS,
  START_SESSION,
} from './scripts/sessions.js';
import { UPDATE_SETTINGS } from './scripts/settings.js';
import { CREATE_USER, GET_USER_BY_EMAIL, UPDATE_USER } from './scripts/users.js';

/**
 * A {@link TokenAuthStore} on one Redis server, shared by every process of a deployment:
 * each method is one command or one Lua script, so atomic across all of them. Validity is
 * decided by the core's clock only; Redis's clock only expires records `gcGraceMs` after
 * they stopped mattering. The stores guide describes the key layout.
 *
 * The client is used as it is: create it with `autoResendUnfulfilledCommands: false` (as
 * {@link createRedisStore} does), or a rotation whose reply was lost with the connection is
 * sent again after the reconnection and answers `reused`. Whatever the client, a call whose
 * reply was lost rejects: its outcome is unknown. Not for Redis Cluster.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStore } from 'token-auth/redis';
 *
 * const client = new Redis(process.env.REDIS_URL, { autoResendUnfulfilledCommands: false });
 * const store = new RedisStore(client, { keyPrefix: 'myapp:auth:' });
 * ```
 */
export class RedisStore implements TokenAuthStore {
  /** The ioredis client the store sends its commands through. */
  readonly client: Redis;
  readonly #options: ResolvedRedisStoreOptions;
  /** Rejecters of the calls awaiting a reply; all fail when the connection closes. */
  readonly #pending = new Set<(error: Error) => void>();
  #closed = false;

  /**
   * @param client - An ioredis client, used as it is (see the class description).
   * @param options - Key prefix, garbage-collection grace, history cap.
   * @throws {@link "token-auth"!ConfigError} when an option is invalid (naming it), when the client sets
   *   ioredis's `keyPrefix`, or when it combines `enableAutoPipelining` with
   *   `autoResendUnfulfilledCommands: false`, which ioredis 5 can leave hanging.
   */
  constructor(client: Redis, options: RedisStoreOptions = {}) {
    this.#options = resolveRedisStoreOptions(options);
    const { keyPrefix, enableAutoPipelining, autoResendUnfulfilledCommands } = client.options;
    if (keyPrefix) {
      throw new ConfigError(
        'The ioredis client must not set keyPrefix; use the keyPrefix option of RedisStore',
      );
    }
    if (enableAutoPipelining && autoResendUnfulfilledCommands === false) {
      throw new ConfigError(
        'The ioredis client must not combine enableAutoPipelining with autoResendUnfulfilledCommands: false; turn enableAutoPipelining off',
      );
    }
    this.client = client;
    // ioredis 5 without resending drops the commands in flight when the connection closes
    // without settling their promises: fail them instead, their outcome being unknown.
    client.on('close', () => {
      const lost = new Error('The connection to Redis closed before the reply arrived');
      for (const fail of this.#pending) fail(lost);
      this.#pending.clear();
    });
  }

  /**
   * Resolves once Redis answers a `PING`: a readiness probe.
   * @returns Once Redis answered.
   * @example
   * ```ts
   * await store.ping();
   * ```
   */
  async ping(): Promise<void> {
    await this.#call(() => this.client.ping());
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.createUser} */
  async createUser(user: NewUserRecord): Promise<UserRecord> {
    const id = await this.#call(() =>
      CREATE_USER.run(
        this.client,
        [this.#key(`email:${user.emailKey}`), this.#key('seq')],
        [this.#key('user:'), ...userFields(user)],
      ),
    );
    if (id === null) throw new EmailTakenError('This email is already registered');
    return { ...structuredClone(user), id: toInteger(id, 'user id') };
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserById} */
  async getUserById(id: number): Promise<UserRecord | undefined> {
    const hash = await this.#call(() => this.client.hgetall(this.#key(`user:${id}`)));
    return Object.keys(hash).length === 0 ? undefined : parseUser(hash);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getUserByEmailKey} */
  async getUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    const reply = await this.#call(() =>
      GET_USER_BY_EMAIL.run(this.client, [this.#key(`email:${emailKey}`)], [this.#key('user:')]),
    );
    if (reply === null) return undefined;
    if (reply === 0) throw new Error('Corrupt Redis store: an email claim points to a missing user');
    return parseUser(reply);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateUser} */
  async updateUser(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    const reply = await this.#call(() =>
      UPDATE_USER.run(
        this.client,
        [this.#key(`user:${id}`)],
        [
          this.#key('email:'),
          patch.emailKey === undefined ? '0' : '1',
          patch.emailKey ?? '',
          ...userFields(patch),
        ],
      ),
    );
    if (reply === null) return undefined;
    if (reply === 0) throw new EmailTakenError('This email is already registered');
    return parseUser(reply);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.startSession} */
  async startSession(session: NewSessionRecord): Promise<void> {
    const { id, userId, headHash, createdAt, expiresAt } = session;
    const record = { ...session, previousHash: null, rotatedAt: null, lastUsedAt: createdAt };
    await this.#call(() =>
      START_SESSION.run(
        this.client,
        [this.#key(`session:${id}`), this.#key(`token:${headHash}`), this.#key(`user-sessions:${userId}`)],
        [this.#options.prefix, id, createdAt, this.#ttl(expiresAt, createdAt), ...sessionFields(record)],
      ),
    );
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.rotate} */
  async rotate(presentedHash: string, next: NextHead, now: number): Promise<RotateResult> {
    const reply = await this.#call(() =>
      ROTATE.run(
        this.client,
        [this.#key(`token:${presentedHash}`)],
        [this.#options.prefix, presentedHash, next.hash, next.expiresAt, now, this.#ttl(next.expiresAt, now)],
      ),
    );
    const [status, id, ...fields] = asArray(reply, 'a rotation');
    if (status === 'unknown' || status === 'expired') return { status };
    if (status !== 'rotated' && status !== 'parent' && status !== 'reused') {
      throw new Error('Unexpected reply from Redis for a rotation');
    }
    return { status, session: parseSession(id, fields) };
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endSession} */
  async endSession(userId: number, sessionId: string): Promise<boolean> {
    const ended = await this.#call(() =>
      END_SESSION.run(
        this.client,
        [this.#key(`user-sessions:${userId}`)],
        [this.#options.prefix, userId, sessionId],
      ),
    );
    return ended === 1;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.endUserSessions} */
  async endUserSessions(userId: number, options: { except?: string | undefined } = {}): Promise<number> {
    const ended = await this.#call(() =>
      END_USER_SESSIONS.run(
        this.client,
        [this.#key(`user-sessions:${userId}`)],
        [this.#options.prefix, userId, options.except ?? ''],
      ),
    );
    return toInteger(ended, 'ended sessions');
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSessions} */
  async listSessions(userId: number, now: number): Promise<SessionRecord[]> {
    const flat = asArray(
      await this.#call(() =>
        LIST_SESSIONS.run(this.client, [this.#key(`user-sessions:${userId}`)], [this.#options.prefix, now]),
      ),
      'a session list',
    );
    const sessions: SessionRecord[] = [];
    const width = SESSION_FIELDS.length + 1;
    for (let i = 0; i + width <= flat.length; i += width) {
      sessions.push(parseSession(flat[i], flat.slice(i + 1, i + width)));
    }
    return sessions;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.getSettings} */
  async getSettings(): Promise<Partial<StoredSettings> | undefined> {
    const hash = await this.#call(() => this.client.hgetall(this.#key('settings')));
    if (Object.keys(hash).length === 0) return undefined;
    const settings: Partial<StoredSettings> = {};
    for (const name of ['accessTokenTtlSeconds', 'refreshTokenTtlSeconds'] as const) {
      if (hash[name] !== undefined) settings[name] = toNumber(hash[name], `settings.${name}`);
    }
    return settings;
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.updateSettings} */
  async updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Promise<void> {
    const pairs = Object.entries(values).filter(([, value]) => value !== undefined);
    if (pairs.length === 0 && changes.length === 0) return;
    await this.#call(() =>
      UPDATE_SETTINGS.run(
        this.client,
        [this.#key('settings'), this.#key('settings:history')],
        [
          this.#options.maxHistoryEntries,
          pairs.length,
          ...pairs.flatMap(([name, value]) => [name, String(value)]),
          ...changes.map((change) => JSON.stringify(change)),
        ],
      ),
    );
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.listSettingsHistory} */
  async listSettingsHistory(limit: number): Promise<SettingsChange[]> {
    if (!(limit >= 1)) return [];
    const stop = Number.isFinite(limit) ? Math.floor(limit) - 1 : -1;
    const entries = await this.#call(() => this.client.lrange(this.#key('settings:history'), 0, stop));
    return entries.map(parseChange);
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.hit} */
  async hit(key: string, windowMs: number, now: number): Promise<HitResult> {
    const resetAt = now + windowMs;
    const reply = await this.#call(() =>
      HIT.run(this.client, [this.#key(`hits:${key}`)], [now, resetAt, this.#ttl(resetAt, now)]),
    );
    const [count, end] = asArray(reply, 'a hit');
    return { count: toNumber(count, 'hit count'), resetAt: toNumber(end, 'hit resetAt') };
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.peekHits} */
  async peekHits(key: string, now: number): Promise<HitResult> {
    const [count, end] = await this.#call(() =>
      this.client.hmget(this.#key(`hits:${key}`), 'count', 'resetAt'),
    );
    const resetAt = end == null ? now : toNumber(end, 'hit resetAt');
    if (count == null || now >= resetAt) return { count: 0, resetAt: now };
    return { count: toNumber(count, 'hit count'), resetAt };
  }

  /** {@inheritDoc "token-auth"!TokenAuthStore.resetHits} */
  async resetHits(key: string): Promise<void> {
    await this.#call(() => this.client.del(this.#key(`hits:${key}`)));
  }

  /**
   * Quits the client (also one that was passed in); later calls reject. Closing twice is
   * a no-op.
   * @returns Once the connection is closed.
   * @example
   * ```ts
   * process.once('SIGTERM', () => store.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.client;
    // Only an open socket emits 'end' when closed; otherwise disconnect() just stops retrying.
    if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'ready') {
      client.disconnect();
      return;
    }
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      timer.unref();
      client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const quitted =
      client.status === 'ready' &&
      (await client.quit().then(
        () => true,
        () => false,
      ));
    if (!quitted) client.disconnect();
    await ended;
  }

  #key(suffix: string): string {
    return this.#options.prefix + suffix;
  }

  /** A relative TTL in whole ms: from `from` to `until` (the core's clock) plus the grace. */
  #ttl(until: number, from: number): number {
    return Math.max(1, Math.ceil(until - from + this.#options.gcGraceMs));
  }

  /** Runs one command; it rejects, rather than hangs, when the connection closes first. */
  async #call<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('The Redis store is closed');
    let fail: (error: Error) => void = () => {};
    const closed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.#pending.add(fail);
    try {
      return await Promise.race([run(), closed]);
    } finally {
      this.#pending.delete(fail);
    }
  }
}
