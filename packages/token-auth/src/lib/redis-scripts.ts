/**
 * The Lua scripts of the Redis store, and a runner that calls them by SHA-1 and loads
 * them on a cache miss (`NOSCRIPT`). Private to the package.
 *
 * Each script is one atomic step on the Redis server: no other command runs between its
 * reads and writes, whichever process sent it. Validity is always decided by the `now`
 * argument the caller passes (the core's clock), never by Redis `TIME`; native key
 * expiry is used only for garbage collection, with a grace period.
 *
 * Refresh-token layout (under the store's prefix): `rt:<hash>` the token (a hash, with
 * `prev`, the hash of its family's previous newest token; a deleted token linked to an
 * older one leaves a tombstone holding `prev` only), `rt-head:<familyId>` the family
 * (`userId`, `head`: its newest token), `rt-user:<userId>` the set of the user's current
 * tokens, `rt-families:<userId>` the set of the user's family ids. Version 0.1.0 kept a
 * set of every token per family (`rt-family:<familyId>`) and per user; family revocation
 * still empties such a set until it expires.
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

// Shared Lua: read a token hash in TOKEN_FIELDS order, then its link `prev`; r[1] is false
// when the token does not exist or is a tombstone (a deleted token's link, nothing else).
const READ_TOKEN = `
local function read_token(key)
  return redis.call('HMGET', key, 'userId', 'familyId', 'createdAt', 'expiresAt', 'rotatedAt', 'seq', 'prev')
end
`;

// Shared Lua: delete a family's tokens along its chain, newest first, then the family.
const END_FAMILY = `
-- Follows the prev links from the family's head, deleting tokens and tombstones alike; a
-- missing link ends the walk (older tokens expire no later, so they are gone too). With
-- only_user, a family of another user is left alone. The set of a family written by
-- version 0.1.0 (legacy_prefix, false to skip) is emptied too. Returns the tokens deleted.
local function end_family(token_prefix, head_prefix, user_prefix, families_prefix, legacy_prefix, family_id, only_user)
  local head_key = head_prefix .. family_id
  local family = redis.call('HMGET', head_key, 'userId', 'head')
  local deleted = 0
  if family[1] and (not only_user or family[1] == only_user) then
    local seen = {}
    local hash = family[2]
    while hash and not seen[hash] do
      seen[hash] = true
      local key = token_prefix .. hash
      local t = redis.call('HMGET', key, 'userId', 'prev')
      if not t[1] and not t[2] then break end
      redis.call('DEL', key)
      if t[1] then
        deleted = deleted + 1
        redis.call('SREM', user_prefix .. t[1], hash)
      end
      hash = t[2]
    end
    redis.call('DEL', head_key)
    redis.call('SREM', families_prefix .. family[1], family_id)
  end
  if legacy_prefix then
    local legacy = legacy_prefix .. family_id
    for _, hash in ipairs(redis.call('SMEMBERS', legacy)) do
      local key = token_prefix .. hash
      local t = redis.call('HMGET', key, 'userId', 'familyId')
      if t[1] and t[2] == family_id then
        redis.call('DEL', key)
        redis.call('SREM', user_prefix .. t[1], hash)
        deleted = deleted + 1
      end
    end
    redis.call('DEL', legacy)
  end
  return deleted
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
 * KEYS: token key, family head, user's current-token set, user's family set, sequence hash.
 * ARGV: token hash, TTL in ms, userId, familyId, createdAt, expiresAt, token key prefix,
 * family head prefix, user set prefix.
 * Stores the token as its family's newest, linked to the previous newest (`prev`), with a
 * TTL no shorter than the family's (so garbage collection never cuts the chain from its
 * older part); adds it to the user's current tokens. A new family is added to the user's
 * families, and both user sets are then pruned of what Redis already expired.
 * Returns 1, or 0 when the family belongs to another user (nothing is written).
 */
export const CREATE_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local ttl = tonumber(ARGV[2])
local family = redis.call('HMGET', KEYS[2], 'userId', 'head')
if family[1] and family[1] ~= ARGV[3] then return 0 end
local family_ttl = redis.call('PTTL', KEYS[2])
if family_ttl > ttl then ttl = family_ttl end
local old = read_token(KEYS[1])
local prev = family[2]
if prev == ARGV[1] then prev = old[7] end
if old[1] then redis.call('SREM', ARGV[9] .. old[1], ARGV[1]) end
local seq = redis.call('HINCRBY', KEYS[5], 'rt', 1)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'userId', ARGV[3], 'familyId', ARGV[4], 'createdAt', ARGV[5],
  'expiresAt', ARGV[6], 'rotatedAt', '', 'seq', seq)
if prev then redis.call('HSET', KEYS[1], 'prev', prev) end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], 'userId', ARGV[3], 'head', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('SADD', KEYS[4], ARGV[4]) == 1 then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    if redis.call('EXISTS', ARGV[8] .. id) == 0 then redis.call('SREM', KEYS[4], id) end
  end
  for _, hash in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    if redis.call('EXISTS', ARGV[7] .. hash) == 0 then redis.call('SREM', KEYS[3], hash) end
  end
end
for i = 3, 4 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`);

/**
 * KEYS: token key. ARGV: now, token hash, user set prefix.
 * Returns false when missing, else {status, ...TOKEN_FIELDS}. 'consumed' marks the token
 * rotated at now; it and 'expired' take it out of the user's current tokens. The record
 * stays (until its TTL) as a link of its family's chain.
 */
export const CONSUME_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local r = read_token(KEYS[1])
if not r[1] then return false end
local now = tonumber(ARGV[1])
if now >= tonumber(r[4]) then
  redis.call('SREM', ARGV[3] .. r[1], ARGV[2])
  return {'expired', r[1], r[2], r[3], r[4], r[5], r[6]}
end
if r[5] ~= '' then return {'reused', r[1], r[2], r[3], r[4], r[5], r[6]} end
redis.call('HSET', KEYS[1], 'rotatedAt', ARGV[1])
redis.call('SREM', ARGV[3] .. r[1], ARGV[2])
return {'consumed', r[1], r[2], r[3], r[4], ARGV[1], r[6]}
`);

/**
 * KEYS: token key. ARGV: token hash, user set prefix, family head prefix, family set prefix.
 * A token linked to an older one leaves a tombstone holding the link (same TTL), so that
 * revoking its family still reaches the older tokens; the oldest is deleted outright and,
 * when it is also the newest, ends its family.
 * Returns false when missing, else the TOKEN_FIELDS of the deleted token.
 */
export const DELETE_REFRESH_TOKEN = new RedisScript(`${READ_TOKEN}
local r = read_token(KEYS[1])
if not r[1] then return false end
redis.call('SREM', ARGV[2] .. r[1], ARGV[1])
if r[7] then
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'prev', r[7])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
else
  redis.call('DEL', KEYS[1])
  local head_key = ARGV[3] .. r[2]
  if redis.call('HGET', head_key, 'head') == ARGV[1] then
    redis.call('DEL', head_key)
    redis.call('SREM', ARGV[4] .. r[1], r[2])
  end
end
return {r[1], r[2], r[3], r[4], r[5], r[6]}
`);

/**
 * KEYS: family head. ARGV: token key prefix, family head prefix, user set prefix, family
 * set prefix, legacy family set prefix, familyId.
 * Deletes every token of the family along its chain (and a 0.1.0 family set), then the
 * family. Returns how many tokens were deleted.
 */
export const DELETE_FAMILY = new RedisScript(`${END_FAMILY}
return end_family(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], false)
`);

/**
 * KEYS: user's family set, user's current-token set. ARGV: token key prefix, family head
 * prefix, user set prefix, family set prefix, userId.
 * Ends every family of the user, then deletes the tokens left in the current-token set
 * (those of 0.1.0, which also indexed rotated tokens there), then both sets.
 * Returns how many tokens were deleted.
 */
export const DELETE_USER_TOKENS = new RedisScript(`${END_FAMILY}
local deleted = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  deleted = deleted + end_family(ARGV[1], ARGV[2], ARGV[3], ARGV[4], false, id, ARGV[5])
end
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[1] .. hash
  if redis.call('HGET', key, 'userId') == ARGV[5] then
    redis.call('DEL', key)
    deleted = deleted + 1
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return deleted
`);

/**
 * KEYS: a user's current-token set. ARGV: token key prefix, user id, now.
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
