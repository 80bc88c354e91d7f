/**
 * The Redis store (`token-auth/redis`): one Redis server shared by every process of a
 * deployment, with each store operation atomic across all of them.
 *
 * Requires the optional peer dependency `ioredis` (^5).
 *
 * @example
 * ```ts
 * import { createTokenAuth } from 'token-auth';
 * import { createRedisStore } from 'token-auth/redis';
 *
 * const store = await createRedisStore('redis://127.0.0.1:6379/0');
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * ```
 *
 * @module token-auth/redis
 */

import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, EmailTakenError, StoreError } from './errors.js';
import { millisecondsOption } from './lib/options.js';
import {
  CONSUME_REFRESH_TOKEN,
  CREATE_REFRESH_TOKEN,
  CREATE_USER,
  DELETE_FAMILY,
  DELETE_REFRESH_TOKEN,
  DELETE_USER_TOKENS,
  GET_USER_BY_EMAIL,
  HIT,
  LIST_USER_REFRESH_TOKENS,
  TOKEN_FIELDS,
  UPDATE_SETTINGS,
  UPDATE_USER,
} from './lib/redis-scripts.js';
import type {
  ConsumeResult,
  HitResult,
  NewUserRecord,
  RefreshTokenRecord,
  SettingsChange,
  StoredSettings,
  TokenAuthStore,
  UserPatch,
  UserRecord,
} from './stores/port.js';

/** Options of {@link RedisStore} and {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prefix of every key the store writes, so that several applications (or test runs)
   * can share one Redis database. Set it here, not as ioredis's own `keyPrefix`.
   * @defaultValue `'token-auth:'`
   */
  keyPrefix?: string;
  /**
   * How long, in milliseconds, a refresh token or throttling counter is kept after it
   * stopped mattering before Redis expires it. Native expiry is relative: a token written
   * with a lifetime of `expiresAt - createdAt` lives that long plus this grace, measured
   * by the Redis server, so the callers' clock decides validity and Redis's clock only
   * collects garbage.
   * @defaultValue `60_000`
   */
  gcGraceMs?: number;
  /**
   * The most settings-history entries kept; older ones are dropped first.
   * @defaultValue `1000`
   */
  maxHistoryEntries?: number;
  /**
   * ioredis options, used only when the store creates its own client (from a URL or
   * options). The store's defaults, which these override:
   *
   * - `autoResendUnfulfilledCommands: false`: a command that was sent but not answered
   *   when the connection dropped fails with a {@link StoreError} instead of being sent
   *   again after the reconnection. The server may well have applied it already, and most
   *   of the store's scripts are not idempotent: a resent refresh-token rotation would
   *   answer `reused` (and the core would revoke the session of the legitimate client), a
   *   resent registration `email_taken` for a user it did create. A `StoreError` is
   *   answered 503 by the server and the client may retry, knowing the outcome is unknown
   *   (a retried refresh whose rotation did happen is reuse, unless within the core's
   *   `reuseGraceMs`). Do not turn it back on.
   * - `maxRetriesPerRequest: 1`: a command fails fast with a {@link StoreError} while Redis
   *   is unreachable, instead of waiting through 20 reconnections.
   * - `enableAutoPipelining: false`: with auto-pipelining, ioredis 5 never settles a
   *   pipeline whose commands were dropped with the connection (they are not resent), and
   *   every later command waits behind it forever. The store refuses a client with both
   *   `enableAutoPipelining: true` and `autoResendUnfulfilledCommands: false`.
   */
  redisOptions?: RedisOptions;
}

/** What {@link RedisStore}'s constructor connects with. */
export type RedisConnection = Redis | string | RedisOptions;

const DEFAULT_REDIS_OPTIONS: RedisOptions = {
  // A reply lost with the connection must not lead to the command being applied twice.
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  // ioredis 5 would wait forever on an auto-pipeline whose commands were not resent.
  enableAutoPipelining: false,
};

/**
 * A {@link TokenAuthStore} on Redis, for deployments with several processes or machines.
 *
 * Every port operation is one Redis command or one Lua script, hence atomic across every
 * client of the server: email claims (`createUser`, and `updateUser`'s email change,
 * which claims the new key, releases the old one and updates the user in one script),
 * user ids from `HINCRBY` on one sequence hash, refresh-token rotation (`consumeRefreshToken` checks expiry and
 * rotation against the `now` passed in and marks the token rotated in one script), token
 * deletion (a token is returned by at most one of concurrent deletes), family and user
 * revocation (a family's chain, or all of a user's families, deleted in one script),
 * settings with their history (hash and capped list updated together) and throttling
 * counters.
 *
 * Refresh tokens: each family (one login's session) is a chain. A token records the
 * family's previous newest token (`prev`) and the family's head (`rt-head:<familyId>`)
 * points at the newest. A user has a set of current (not yet rotated) tokens
 * (`rt-user:<userId>`), which a rotation leaves, and a set of family ids
 * (`rt-families:<userId>`). Creating and consuming a token therefore cost the same, and the
 * sets stay as large as the user's live sessions, however many rotations a session went
 * through; only revoking a family or a user walks the chains, one step per token kept.
 *
 * Validity is decided only by the `now` arguments (the core's clock). Redis's own clock
 * only garbage-collects: refresh tokens and counters carry a relative TTL of their
 * lifetime plus `gcGraceMs` (a token at least the TTL of its family's older tokens, so
 * that expiry never cuts a chain from its older part), heads and sets that of their
 * longest-lived token, and the user sets are pruned of expired entries at each login
 * and listing, so nothing piles up.
 *
 * Errors: every Redis failure (connection lost, timeout, wrong type) is thrown as a
 * {@link StoreError} with the original error as `cause`, never answered as "not found";
 * a record that cannot be parsed is a {@link StoreError} too.
 *
 * Limits: one Redis server (standalone, replicated or behind Sentinel), not Redis Cluster
 * (scripts reach keys they discover, such as a user's previous email). The client must
 * not have ioredis's `keyPrefix` set; use {@link RedisStoreOptions.keyPrefix}.
 *
 * A client passed in is used as it is, and ioredis's default is to resend, after a
 * reconnection, the commands whose replies were lost with the connection. Create it with
 * `autoResendUnfulfilledCommands: false` (as the store does for the clients it creates,
 * see {@link RedisStoreOptions.redisOptions}): otherwise a refresh applied just before the
 * connection dropped is applied again and answers `reused`, which revokes the session of
 * the legitimate client, and a registration answers "email taken" for the user it created.
 * (Such a client must also leave `enableAutoPipelining` off; the store refuses the
 * combination.) Whatever the client, a call whose reply was lost with the connection
 * rejects with a {@link StoreError}: its outcome is unknown.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createTokenAuth } from 'token-auth';
 * import { RedisStore } from 'token-auth/redis';
 *
 * const client = new Redis('redis://127.0.0.1:6379/0', { autoResendUnfulfilledCommands: false });
 * const store = new RedisStore(client, { keyPrefix: 'myapp:auth:' });
 * const auth = createTokenAuth({ store, secret: process.env.JWT_SECRET });
 * // on shutdown:
 * await store.close();
 * ```
 */
export class RedisStore implements TokenAuthStore {
  /** The ioredis client this store sends its commands through. */
  readonly client: Redis;
  readonly #prefix: string;
  readonly #gcGraceMs: number;
  readonly #maxHistoryEntries: number;
  /** Rejecters of the calls awaiting a reply; all are failed when the connection closes. */
  readonly #pending = new Set<(error: Error) => void>();
  #closed = false;

  /**
   * @param connection - An ioredis client (the store then uses it as is: create it with
   *   `autoResendUnfulfilledCommands: false`), or a `redis://` URL or ioredis options from
   *   which the store creates its own client (with the defaults of
   *   {@link RedisStoreOptions.redisOptions}).
   *   Defaults to `redis://127.0.0.1:6379/0`.
   * @param options - Key prefix, garbage-collection grace, history limit, client options.
   * @throws {@link "token-auth"!ConfigError} when an option is invalid (naming it), or when the client
   *   has ioredis's `keyPrefix` set, or combines `enableAutoPipelining` with
   *   `autoResendUnfulfilledCommands: false`.
   * @example
   * ```ts
   * const store = new RedisStore('redis://127.0.0.1:6379/2', { keyPrefix: 'staging:' });
   * ```
   */
  constructor(connection: RedisConnection = 'redis://127.0.0.1:6379/0', options: RedisStoreOptions = {}) {
    const prefix = options.keyPrefix ?? 'token-auth:';
    if (typeof prefix !== 'string') throw new ConfigError('keyPrefix must be a string');
    this.#prefix = prefix;
    this.#gcGraceMs = millisecondsOption('gcGraceMs', options.gcGraceMs, 60_000);
    const maxHistory = options.maxHistoryEntries ?? 1000;
    if (!Number.isInteger(maxHistory) || maxHistory < 1) {
      throw new ConfigError('maxHistoryEntries must be a positive integer');
    }
    this.#maxHistoryEntries = maxHistory;

    if (isRedisClient(connection)) {
      this.client = connection;
    } else {
      const redisOptions = { ...DEFAULT_REDIS_OPTIONS, ...options.redisOptions };
      this.client =
        typeof connection === 'string'
          ? new Redis(connection, redisOptions)
          : new Redis({ ...redisOptions, ...connection });
      // Failures reach callers through the rejected commands; the event would only be noise.
      this.client.on('error', () => {});
    }
    if (this.client.options.keyPrefix) {
      throw new ConfigError(
        'The ioredis client must not set keyPrefix; use the keyPrefix option of RedisStore',
      );
    }
    if (
      this.client.options.enableAutoPipelining &&
      this.client.options.autoResendUnfulfilledCommands === false
    ) {
      throw new ConfigError(
        'The ioredis client must not combine enableAutoPipelining with autoResendUnfulfilledCommands: false (ioredis 5 then hangs after a reconnection); turn enableAutoPipelining off',
      );
    }
    // ioredis 5 with autoResendUnfulfilledCommands off drops the commands that were in
    // flight when the connection closed without ever settling their promises (fixed in
    // ioredis 6): fail every call still waiting instead, its outcome being unknown.
    this.client.on('close', () => {
      const lost = new Error('The connection to Redis closed before the reply arrived');
      for (const fail of this.#pending) fail(lost);
      this.#pending.clear();
    });
  }

  /**
   * Waits until the connection is usable by sending a `PING`.
   *
   * @returns Once Redis answered.
   * @throws {@link "token-auth"!StoreError} when Redis cannot be reached.
   * @example
   * ```ts
   * await store.ping(); // for a readiness probe
   * ```
   */
  async ping(): Promise<void> {
    await this.#call('reach Redis', () => this.client.ping());
  }

  /**
   * Creates a user with a fresh id. One script checks the email claim, takes the next id
   * (`HINCRBY` on the sequence hash), claims the email and writes the user hash, so of
   * concurrent creations with one `emailKey`, from any process, exactly one succeeds.
   *
   * @param user - The user without an id.
   * @returns The stored user with its id.
   * @throws {@link "token-auth"!EmailTakenError} when `emailKey` is already claimed.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async createUser(user: NewUserRecord): Promise<UserRecord> {
    const id = await this.#call('create a user', () =>
      CREATE_USER.run(
        this.client,
        [this.#emailKey(user.emailKey), this.#key('seq')],
        [this.#key('user:'), ...userFields(user)],
      ),
    );
    if (id === null) throw new EmailTakenError('This email is already registered');
    return { ...structuredClone(user), id: toInteger(id, 'user id') };
  }

  /**
   * The user with this id.
   *
   * @param id - The user id.
   * @returns The user, or `undefined` when there is none.
   * @throws {@link "token-auth"!StoreError} when Redis fails or the record is corrupt.
   */
  async getUserById(id: number): Promise<UserRecord | undefined> {
    const hash = await this.#call('read a user', () => this.client.hgetall(this.#key(`user:${id}`)));
    return Object.keys(hash).length === 0 ? undefined : parseUser(hash);
  }

  /**
   * The user with this canonical email, read with its email claim in one script.
   *
   * @param emailKey - The canonical (lower-case) email.
   * @returns The user, or `undefined` when the email is not claimed.
   * @throws {@link "token-auth"!StoreError} when Redis fails, or the claim points to a missing user.
   */
  async getUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    const reply = await this.#call('read a user', () =>
      GET_USER_BY_EMAIL.run(this.client, [this.#emailKey(emailKey)], [this.#key('user:')]),
    );
    if (reply === null) return undefined;
    if (reply === 0)
      throw new StoreError('Corrupt Redis store: an email index entry points to a missing user');
    return parseUser(pairsToObject(reply));
  }

  /**
   * Applies a patch in one script. When `patch.emailKey` differs from the stored one, the
   * new email is claimed (unless another user holds it), the old claim released and the
   * user hash updated together.
   *
   * @param id - The user id.
   * @param patch - The fields to change.
   * @returns The updated user, or `undefined` when there is no such user.
   * @throws {@link "token-auth"!EmailTakenError} when the new `emailKey` belongs to another user.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async updateUser(id: number, patch: UserPatch): Promise<UserRecord | undefined> {
    const changesEmail = patch.emailKey !== undefined;
    const reply = await this.#call('update a user', () =>
      UPDATE_USER.run(
        this.client,
        [this.#key(`user:${id}`)],
        [this.#key('email:'), changesEmail ? '1' : '0', patch.emailKey ?? '', ...userFields(patch)],
      ),
    );
    if (reply === null) return undefined;
    if (reply === 0) throw new EmailTakenError('This email is already registered');
    return parseUser(pairsToObject(reply));
  }

  /**
   * Stores a refresh token, in one script, as the newest of its family: the token records
   * the family's previous newest (`prev`), the family's head moves on to it, and it joins
   * its user's set of current tokens (a new family also joins the user's set of
   * families). The token, the head and both sets get a relative TTL of the token's lifetime
   * plus `gcGraceMs`, or the family's longer one (so that along a chain no token expires
   * before an older one). The work and the sizes do not grow with past rotations.
   *
   * @param record - The token record (its hash, never the token).
   * @returns Once stored.
   * @throws {@link "token-auth"!StoreError} when the family belongs to another user, or Redis fails.
   */
  async createRefreshToken(record: RefreshTokenRecord): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(Math.max(0, record.expiresAt - record.createdAt) + this.#gcGraceMs));
    const reply = await this.#call('store a refresh token', () =>
      CREATE_REFRESH_TOKEN.run(
        this.client,
        [
          this.#tokenKey(record.tokenHash),
          this.#key(`rt-head:${record.familyId}`),
          this.#key(`rt-user:${record.userId}`),
          this.#key(`rt-families:${record.userId}`),
          this.#key('seq'),
        ],
        [
          record.tokenHash,
          ttlMs,
          String(record.userId),
          record.familyId,
          String(record.createdAt),
          String(record.expiresAt),
          this.#key('rt:'),
          this.#key('rt-head:'),
          this.#key('rt-user:'),
        ],
      ),
    );
    if (reply === 0) {
      throw new StoreError(`createRefreshToken: family ${record.familyId} belongs to another user`);
    }
  }

  /**
   * Consumes a refresh token in one script: `expired` when `now >= expiresAt`, else
   * `reused` when already rotated, else marked rotated at `now` and `consumed`. Of
   * concurrent calls with one hash, from any process, at most one answers `consumed`. A
   * consumed or expired token leaves its user's set of current tokens but stays, until its
   * TTL, as a link of its family's chain.
   *
   * @param tokenHash - SHA-256 hex of the token.
   * @param now - The caller's clock, epoch ms (Redis's clock is never consulted).
   * @returns The outcome, with the record unless `missing`.
   * @throws {@link "token-auth"!StoreError} when Redis fails or the record is corrupt.
   */
  async consumeRefreshToken(tokenHash: string, now: number): Promise<ConsumeResult> {
    const reply = await this.#call('consume a refresh token', () =>
      CONSUME_REFRESH_TOKEN.run(
        this.client,
        [this.#tokenKey(tokenHash)],
        [String(now), tokenHash, this.#key('rt-user:')],
      ),
    );
    if (reply === null) return { status: 'missing' };
    const [status, ...fields] = asStrings(reply, 'refresh token');
    if (status !== 'consumed' && status !== 'reused' && status !== 'expired') {
      throw new StoreError('Unexpected reply from the Redis store while consuming a refresh token');
    }
    return { status, record: parseToken(tokenHash, fields) };
  }

  /**
   * Deletes one refresh token in one script. A token linked to an older one of its family
   * leaves a tombstone (the link only, with the token's TTL; it reads as missing), so that
   * revoking the family later still reaches the older tokens.
   *
   * @param tokenHash - SHA-256 hex of the token.
   * @returns The deleted record, or `undefined` when there was none; of concurrent calls
   *   with one hash, at most one gets the record.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async deleteRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const reply = await this.#call('delete a refresh token', () =>
      DELETE_REFRESH_TOKEN.run(
        this.client,
        [this.#tokenKey(tokenHash)],
        [tokenHash, this.#key('rt-user:'), this.#key('rt-head:'), this.#key('rt-families:')],
      ),
    );
    return reply === null ? undefined : parseToken(tokenHash, asStrings(reply, 'refresh token'));
  }

  /**
   * Deletes every token of a family, rotated ones included, in one script that walks the
   * family's chain from its newest token (one step per token of the family still kept:
   * with {@link RedisStore.deleteUserRefreshTokens}, the only operations whose cost grows
   * with the number of rotations), then the family.
   *
   * @param familyId - The family id.
   * @returns How many tokens were deleted.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async deleteRefreshTokenFamily(familyId: string): Promise<number> {
    const reply = await this.#call('revoke a token family', () =>
      DELETE_FAMILY.run(
        this.client,
        [this.#key(`rt-head:${familyId}`)],
        [
          this.#key('rt:'),
          this.#key('rt-head:'),
          this.#key('rt-user:'),
          this.#key('rt-families:'),
          this.#key('rt-family:'),
          familyId,
        ],
      ),
    );
    return toInteger(reply, 'deleted count');
  }

  /**
   * Deletes every token of a user, rotated ones included, in one script: each of the
   * user's families as {@link RedisStore.deleteRefreshTokenFamily} does, then the user's
   * sets.
   *
   * @param userId - The user id.
   * @returns How many tokens were deleted.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async deleteUserRefreshTokens(userId: number): Promise<number> {
    const reply = await this.#call("revoke a user's tokens", () =>
      DELETE_USER_TOKENS.run(
        this.client,
        [this.#key(`rt-families:${userId}`), this.#key(`rt-user:${userId}`)],
        [
          this.#key('rt:'),
          this.#key('rt-head:'),
          this.#key('rt-user:'),
          this.#key('rt-families:'),
          String(userId),
        ],
      ),
    );
    return toInteger(reply, 'deleted count');
  }

  /**
   * The user's current (not rotated) and unexpired tokens, oldest first; index entries
   * whose token Redis already expired are pruned on the way.
   *
   * @param userId - The user id.
   * @param now - The caller's clock, epoch ms.
   * @returns The tokens, by `createdAt`, then by write order.
   * @throws {@link "token-auth"!StoreError} when Redis fails or a record is corrupt.
   */
  async listUserRefreshTokens(userId: number, now: number): Promise<RefreshTokenRecord[]> {
    const reply = await this.#call("list a user's tokens", () =>
      LIST_USER_REFRESH_TOKENS.run(
        this.client,
        [this.#key(`rt-user:${userId}`)],
        [this.#key('rt:'), String(userId), String(now)],
      ),
    );
    const flat = asStrings(reply, 'refresh token list');
    const width = TOKEN_FIELDS.length + 1;
    const rows: { record: RefreshTokenRecord; seq: number }[] = [];
    for (let i = 0; i + width <= flat.length; i += width) {
      const [hash = '', ...fields] = flat.slice(i, i + width);
      rows.push({ record: parseToken(hash, fields), seq: Number(fields[5]) });
    }
    // Oldest first; the write sequence breaks ties, as insertion order does in MemoryStore.
    rows.sort((a, b) => a.record.createdAt - b.record.createdAt || a.seq - b.seq);
    return rows.map((row) => row.record);
  }

  /**
   * The stored settings (one hash).
   *
   * @returns The saved values, or `undefined` when none were ever saved.
   * @throws {@link "token-auth"!StoreError} when Redis fails or a value is corrupt.
   */
  async getSettings(): Promise<Partial<StoredSettings> | undefined> {
    const hash = await this.#call('read the settings', () => this.client.hgetall(this.#key('settings')));
    if (Object.keys(hash).length === 0) return undefined;
    const settings: Partial<StoredSettings> = {};
    for (const name of ['accessTokenTtlSeconds', 'refreshTokenTtlSeconds'] as const) {
      const raw = hash[name];
      if (raw !== undefined) settings[name] = toNumber(raw, `settings.${name}`);
    }
    return settings;
  }

  /**
   * Merges `values` into the settings hash and prepends `changes` to the history list,
   * trimmed to `maxHistoryEntries`, in one script.
   *
   * @param values - The settings to save.
   * @param changes - The history entries, oldest first.
   * @returns Once saved.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async updateSettings(values: Partial<StoredSettings>, changes: readonly SettingsChange[]): Promise<void> {
    const pairs = Object.entries(values).filter(([, value]) => value !== undefined);
    if (pairs.length === 0 && changes.length === 0) return;
    await this.#call('update the settings', () =>
      UPDATE_SETTINGS.run(
        this.client,
        [this.#key('settings'), this.#key('settings:history')],
        [
          this.#maxHistoryEntries,
          pairs.length,
          ...pairs.flatMap(([name, value]) => [name, String(value)]),
          ...changes.map((change) => JSON.stringify(change)),
        ],
      ),
    );
  }

  /**
   * The settings history, newest first.
   *
   * @param limit - The most entries to return.
   * @returns At most `limit` entries.
   * @throws {@link "token-auth"!StoreError} when Redis fails or an entry is corrupt.
   */
  async listSettingsHistory(limit: number): Promise<SettingsChange[]> {
    const count = Math.max(0, Math.floor(limit));
    if (count === 0 || Number.isNaN(count)) return [];
    const entries = await this.#call('read the settings history', () =>
      this.client.lrange(this.#key('settings:history'), 0, Number.isFinite(count) ? count - 1 : -1),
    );
    return entries.map(parseChange);
  }

  /**
   * Counts one hit in a fixed window, in one script: a window that ended at `now` (by the
   * caller's clock) restarts at 1 and gives the counter a TTL of the window plus
   * `gcGraceMs`.
   *
   * @param key - The counter's key.
   * @param windowMs - The window length, ms.
   * @param now - The caller's clock, epoch ms.
   * @returns The count in the current window and when it ends.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async hit(key: string, windowMs: number, now: number): Promise<HitResult> {
    const reply = await this.#call('count a hit', () =>
      HIT.run(
        this.client,
        [this.#key(`hits:${key}`)],
        [String(windowMs), String(now), String(now + windowMs), String(this.#gcGraceMs)],
      ),
    );
    const [count, resetAt] = asStrings(reply, 'hit counter');
    return { count: toNumber(count, 'hit count'), resetAt: toNumber(resetAt, 'hit resetAt') };
  }

  /**
   * The current count without adding a hit; `{ count: 0, resetAt: now }` when there is no
   * counter or its window has ended.
   *
   * @param key - The counter's key.
   * @param now - The caller's clock, epoch ms.
   * @returns The count in the current window and when it ends.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async peekHits(key: string, now: number): Promise<HitResult> {
    const [count, resetAt] = await this.#call('read a hit counter', () =>
      this.client.hmget(this.#key(`hits:${key}`), 'count', 'resetAt'),
    );
    if (count == null || resetAt == null) return { count: 0, resetAt: now };
    const ends = toNumber(resetAt, 'hit resetAt');
    if (now >= ends) return { count: 0, resetAt: now };
    return { count: toNumber(count, 'hit count'), resetAt: ends };
  }

  /**
   * Forgets a counter.
   *
   * @param key - The counter's key.
   * @returns Once deleted.
   * @throws {@link "token-auth"!StoreError} when Redis fails.
   */
  async resetHits(key: string): Promise<void> {
    await this.#call('reset a hit counter', () => this.client.del(this.#key(`hits:${key}`)));
  }

  /**
   * Quits the client (gracefully when connected, at once otherwise). Also quits a client
   * that was passed in. Later calls reject with a {@link StoreError}; closing twice is a
   * no-op.
   *
   * @returns Once the connection is closed.
   * @example
   * ```ts
   * process.on('SIGTERM', async () => { await server.close(); await store.close(); });
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.client;
    // Only an open socket emits 'end' when closed; otherwise disconnect() just stops retrying.
    const open = client.status === 'connecting' || client.status === 'connect' || client.status === 'ready';
    if (!open) {
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
    let quitted = false;
    if (client.status === 'ready') {
      try {
        await client.quit();
        quitted = true;
      } catch {
        // Fall through to disconnect: the connection is going away anyway.
      }
    }
    if (!quitted) client.disconnect();
    await ended;
  }

  #key(suffix: string): string {
    return this.#prefix + suffix;
  }

  #emailKey(emailKey: string): string {
    return this.#key(`email:${emailKey}`);
  }

  #tokenKey(tokenHash: string): string {
    return this.#key(`rt:${tokenHash}`);
  }

  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('The store is closed');
    let fail: (error: Error) => void = () => {};
    const closed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.#pending.add(fail);
    try {
      return await Promise.race([run(), closed]);
    } catch (error) {
      throw new StoreError(`Redis store failed to ${what}`, { cause: error });
    } finally {
      this.#pending.delete(fail);
    }
  }
}

/**
 * Creates a {@link RedisStore} from a URL and checks that Redis answers, so that a server
 * fails at startup rather than on its first request.
 *
 * @param url - `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS.
 * @param options - Key prefix, garbage-collection grace, history limit, ioredis options.
 * @returns The connected store.
 * @throws {@link "token-auth"!ConfigError} when the URL is not a `redis:` or `rediss:` URL or an
 *   option is invalid.
 * @throws {@link "token-auth"!StoreError} when Redis cannot be reached (the client is closed again).
 * @example
 * ```ts
 * const store = await createRedisStore(process.env.DATABASE_URL ?? 'redis://127.0.0.1:6379/0', {
 *   keyPrefix: 'myapp:auth:',
 * });
 * ```
 */
export async function createRedisStore(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch (error) {
    throw new ConfigError('The Redis URL is not a valid URL', { cause: error });
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new ConfigError(`The Redis URL must start with redis:// or rediss://, not ${protocol}//`);
  }
  const store = new RedisStore(url, options);
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function isRedisClient(value: RedisConnection): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).evalsha === 'function' &&
    typeof (value as Redis).quit === 'function'
  );
}

const USER_FIELDS = [
  'email',
  'emailKey',
  'username',
  'passwordHash',
  'isStaff',
  'isActive',
  'createdAt',
  'updatedAt',
] as const;

function userFields(user: Partial<NewUserRecord>): string[] {
  const out: string[] = [];
  for (const name of USER_FIELDS) {
    const value = user[name];
    if (value === undefined) continue;
    out.push(name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return out;
}

function parseUser(hash: Record<string, string>): UserRecord {
  const text = (name: string): string => {
    const value = hash[name];
    if (value === undefined) throw new StoreError(`Corrupt user record in Redis: ${name} is missing`);
    return value;
  };
  const flag = (name: string): boolean => {
    const value = text(name);
    if (value !== '0' && value !== '1')
      throw new StoreError(`Corrupt user record in Redis: ${name} is not a flag`);
    return value === '1';
  };
  return {
    id: toInteger(text('id'), 'user id'),
    email: text('email'),
    emailKey: text('emailKey'),
    username: text('username'),
    passwordHash: text('passwordHash'),
    isStaff: flag('isStaff'),
    isActive: flag('isActive'),
    createdAt: toNumber(text('createdAt'), 'user createdAt'),
    updatedAt: toNumber(text('updatedAt'), 'user updatedAt'),
  };
}

function parseToken(tokenHash: string, fields: readonly string[]): RefreshTokenRecord {
  const [userId, familyId, createdAt, expiresAt, rotatedAt] = fields;
  if (familyId === undefined || rotatedAt === undefined) {
    throw new StoreError('Corrupt refresh token record in Redis: fields are missing');
  }
  return {
    tokenHash,
    userId: toInteger(userId, 'refresh token userId'),
    familyId,
    createdAt: toNumber(createdAt, 'refresh token createdAt'),
    expiresAt: toNumber(expiresAt, 'refresh token expiresAt'),
    rotatedAt: rotatedAt === '' ? null : toNumber(rotatedAt, 'refresh token rotatedAt'),
  };
}

const CHANGE_KEYS: ReadonlySet<string> = new Set(['accessTokenTtlSeconds', 'refreshTokenTtlSeconds']);

function parseChange(json: string): SettingsChange {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new StoreError('Corrupt settings history entry in Redis: not JSON', { cause: error });
  }
  const entry = value as Partial<Record<keyof SettingsChange, unknown>>;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.key !== 'string' ||
    !CHANGE_KEYS.has(entry.key) ||
    typeof entry.oldValue !== 'number' ||
    typeof entry.newValue !== 'number' ||
    typeof entry.changedAt !== 'number' ||
    !(entry.changedBy === null || typeof entry.changedBy === 'number')
  ) {
    throw new StoreError('Corrupt settings history entry in Redis: unexpected shape');
  }
  return {
    key: entry.key as SettingsChange['key'],
    oldValue: entry.oldValue,
    newValue: entry.newValue,
    changedAt: entry.changedAt,
    changedBy: entry.changedBy,
  };
}

function pairsToObject(reply: unknown): Record<string, string> {
  const flat = asStrings(reply, 'user');
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[flat[i] as string] = flat[i + 1] as string;
  return object;
}

function asStrings(reply: unknown, what: string): string[] {
  if (!Array.isArray(reply)) throw new StoreError(`Unexpected reply from the Redis store for a ${what}`);
  return reply.map((item) => (item === null || item === undefined ? '' : String(item)));
}

function toNumber(value: unknown, what: string): number {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value !== ''
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(number))
    throw new StoreError(`Corrupt value in the Redis store: ${what} is not a number`);
  return number;
}

function toInteger(value: unknown, what: string): number {
  const number = toNumber(value, what);
  if (!Number.isSafeInteger(number))
    throw new StoreError(`Corrupt value in the Redis store: ${what} is not an integer`);
  return number;
}
