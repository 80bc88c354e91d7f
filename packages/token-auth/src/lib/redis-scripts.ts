/**
 * The Lua scripts of the Redis store, and a runner that calls them by SHA-1 and loads
 * them on a cache miss (`NOSCRIPT`). Private to the package.
 *
 * Each script is one atomic step on the Redis server: no other command runs between its
 * reads and writes, whichever process sent it. Validity is always decided by the `now`
 * argument the caller passes (the core's clock), never by Redis `TIME`; native key
 * expiry is used only for garbage collection, with a grace period.
 *
 * Keys: scripts receive their fixed keys in `KEYS`, and build the keys of records they
 * discover (index members, a user's old email) from prefixes passed in `ARGV`. They are
 * therefore meant for a single Redis server (standalone, replicated or with Sentinel), not
 * for Redis Cluster.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script, called by SHA-1 and loaded on demand. */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` as `KEYS` and `args` as `ARGV`. */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

/** Field order of a refresh-token hash as the scripts return it. */
export const TOKEN_FIELDS = ['userId', 'familyId', 'createdAt', 'expiresAt', 'rotatedAt', 'seq'] as const;

// Shared Lua: read a token hash in TOKEN_FIELDS order; r[1] is false when it does not exist.
const READ_TOKEN = `
local function read_token(key)
  return redis.call('HMGET', key, 'userId', 'familyId', 'createdAt', 'expiresAt', 'rotatedAt', 'seq')
end
local function drop_token(key, hash, r, family_prefix, user_prefix)
  redis.call('DEL', key)
  redis.call('SREM', family_prefix .. r[2], hash)
  redis.call('SREM', user_prefix .. r[1], hash)
end
`;

/**
 * KEYS: email key, sequence hash. ARGV: user key prefix, then field/value pairs.
 * Returns the new id, or false when the email is taken.
 */
export const CREATE_USER = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local id = redis.call('HINCRBY', KEYS[2], 'user', 1)
redis.call('SET', KEYS[1], id, 'NX')
redis.call('HSET', ARGV[1] .. id, 'id', id, unpack(ARGV, 2))
return id
`);

/**
 * KEYS: email key. ARGV: user key prefix.
 * Returns the user hash (flat field/value list), false when the email is unknown, or
 * the integer 0 when the email points to a user that does not exist (corruption).
 */
export const GET_USER_BY_EMAIL = new RedisScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
local user = redis.call('HGETALL', ARGV[1] .. id)
if #user == 0 then return 0 end
return user
`);

/**
 * KEYS: user key. ARGV: email key prefix, '1' when the patch sets emailKey, the new
 * emailKey, then field/value pairs. Claims the new email (unless this user already holds
 * it), releases the old one, updates the hash.
 * Returns the updated hash, false when there is no such user, or 0 when the email is taken.
 */
export const UPDATE_USER = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[2] == '1' then
  local old = redis.call('HGET', KEYS[1], 'emailKey')
  if old ~= ARGV[3] then
    local new_key = ARGV[1] .. ARGV[3]
    local owner = redis.call('GET', new_key)
    if owner and owner ~= id then return 0 end
    redis.call('SET', new_key, id)
    if old then
      local old_key = ARGV[1] .. old
      if redis.call('GET', old_key) == id then redis.call('DEL', old_key) end
    end
  end
end
if #ARGV >= 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
return redis.call('HGETALL', KEYS[1])
`);

/**
 * KEYS: token key, family set, user set, sequence hash. ARGV: token hash, TTL in
 * ms, family set prefix, user set prefix, then userId, familyId, createdAt, expiresAt.
 * Replaces any token with this hash, indexes it, and gives the token and both sets a TTL
 * (the sets keep the longest TTL of their members).
 */
export const CREATE_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local ttl = tonumber(ARGV[2])
local old = read_token(KEYS[1])
if old[1] then drop_token(KEYS[1], ARGV[1], old, ARGV[3], ARGV[4]) end
local seq = redis.call('HINCRBY', KEYS[4], 'rt', 1)
redis.call('HSET', KEYS[1], 'userId', ARGV[5], 'familyId', ARGV[6], 'createdAt', ARGV[7],
  'expiresAt', ARGV[8], 'rotatedAt', '', 'seq', seq)
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 2, 3 do
  redis.call('SADD', KEYS[i], ARGV[1])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`);

/**
 * KEYS: token key. ARGV: now, token hash, family set prefix, user set prefix.
 * Returns false when missing, else {status, ...TOKEN_FIELDS}; 'expired' deletes the token,
 * 'consumed' marks it rotated at now.
 */
export const CONSUME_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local r = read_token(KEYS[1])
if not r[1] then return false end
local now = tonumber(ARGV[1])
if now >= tonumber(r[4]) then
  drop_token(KEYS[1], ARGV[2], r, ARGV[3], ARGV[4])
  return {'expired', r[1], r[2], r[3], r[4], r[5], r[6]}
end
if r[5] ~= '' then return {'reused', r[1], r[2], r[3], r[4], r[5], r[6]} end
redis.call('HSET', KEYS[1], 'rotatedAt', ARGV[1])
return {'consumed', r[1], r[2], r[3], r[4], ARGV[1], r[6]}
`);

/**
 * KEYS: token key. ARGV: token hash, family set prefix, user set prefix.
 * Returns false when missing, else the TOKEN_FIELDS of the deleted token.
 */
export const DELETE_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local r = read_token(KEYS[1])
if not r[1] then return false end
drop_token(KEYS[1], ARGV[1], r, ARGV[2], ARGV[3])
return r
`);

/**
 * KEYS: the index set (a family's or a user's). ARGV: token key prefix, family set
 * prefix, user set prefix, the field the set indexes by (2 = familyId, 1 = userId) and
 * its value. Deletes every live member that still belongs to the set, then the set.
 * Returns how many tokens were deleted.
 */
export const DELETE_INDEXED_TOKENS = new RedisScript(`${READ_TOKEN}
local field = tonumber(ARGV[4])
local deleted = 0
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. hash
  local r = read_token(key)
  if r[1] and r[field] == ARGV[5] then
    drop_token(key, hash, r, ARGV[2], ARGV[3])
    deleted = deleted + 1
  end
end
redis.call('DEL', KEYS[1])
return deleted
`);

/**
 * KEYS: a user's token set. ARGV: token key prefix, user id, now.
 * Prunes members that are gone or belong to someone else; returns the current,
 * unexpired tokens as a flat list of {hash, ...TOKEN_FIELDS}.
 */
export const LIST_USER_REFRESH_TOKENS = new RedisScript(`${READ_TOKEN}
local now = tonumber(ARGV[3])
local out = {}
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local r = read_token(ARGV[1] .. hash)
  if not r[1] or r[1] ~= ARGV[2] then
    redis.call('SREM', KEYS[1], hash)
  elseif r[5] == '' and now < tonumber(r[4]) then
    for _, v in ipairs({hash, r[1], r[2], r[3], r[4], r[5], r[6]}) do out[#out + 1] = v end
  end
end
return out
`);

/**
 * KEYS: settings hash, history list. ARGV: max history entries, number of field/value
 * pairs n, the n pairs, then the history entries (JSON), oldest first.
 */
export const UPDATE_SETTINGS = new RedisScript(`
local pairs_count = tonumber(ARGV[2])
if pairs_count > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * pairs_count)) end
local first = 3 + 2 * pairs_count
if #ARGV >= first then
  redis.call('LPUSH', KEYS[2], unpack(ARGV, first))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[1]) - 1)
end
return 1
`);

/**
 * KEYS: counter hash. ARGV: window ms, now, now + window (as the caller computed it),
 * garbage-collection grace ms. Returns {count, resetAt} as strings.
 */
export const HIT = new RedisScript(`
local r = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
if r[1] and r[2] and tonumber(ARGV[2]) < tonumber(r[2]) then
  return {tostring(redis.call('HINCRBY', KEYS[1], 'count', 1)), r[2]}
end
redis.call('HSET', KEYS[1], 'count', 1, 'resetAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(ARGV[1]) + tonumber(ARGV[4]))))
return {'1', ARGV[3]}
`);
