/**
 * The session scripts of the Redis store. Layout, under the store's prefix:
 *
 * - `session:<id>`: the session record, a hash of {@link SESSION_FIELDS} (`previousHash` and
 *   `rotatedAt` are `''` for `null`), with a TTL of its expiry plus the grace period.
 * - `token:<hash>`: the id of the session whose head is or was this hash, with a TTL of that
 *   token's own expiry plus the grace period: the head's, and every rotated hash's (set
 *   when it became the head, so a rotation never touches it again).
 * - `user-sessions:<userId>`: the user's session ids, a sorted set by `createdAt`, with the
 *   TTL of their longest-lived session; ended sessions leave it at once, expired ones once
 *   Redis dropped their record (pruned at each login and listing).
 *
 * TTLs are relative (`PEXPIRE`, computed by the caller from the core's clock), so validity
 * is decided by the `now` passed in and Redis's clock only collects garbage.
 *
 * @module
 */

import { RedisScript } from './script.js';

/** Fields of a session hash, in the order the scripts return them. */
export const SESSION_FIELDS = [
  'userId',
  'headHash',
  'previousHash',
  'rotatedAt',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'userAgent',
] as const;

// read(prefix, id): the session's fields in SESSION_FIELDS order; [1] (userId) is false
// when there is no such session. end_session: ends one session of one user, returns 1 or 0.
const COMMON = `
local function read(prefix, id)
  return redis.call('HMGET', prefix .. 'session:' .. id, ${SESSION_FIELDS.map((f) => `'${f}'`).join(', ')})
end
local function end_session(prefix, index, user_id, id)
  redis.call('ZREM', index, id)
  local s = read(prefix, id)
  if s[1] ~= user_id then return 0 end
  redis.call('DEL', prefix .. 'session:' .. id, prefix .. 'token:' .. s[2])
  return 1
end
`;

/**
 * KEYS: session, head token, user's sessions. ARGV: prefix, id, createdAt, TTL ms, then
 * the record's field/value pairs. Also prunes the user's set of sessions Redis dropped.
 */
export const START_SESSION = new RedisScript(`${COMMON}
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if not read(ARGV[1], id)[1] then redis.call('ZREM', KEYS[3], id) end
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
`);

/**
 * KEYS: the presented token. ARGV: prefix, presented hash, next hash, next expiresAt, now,
 * the next head's TTL ms. Returns {'unknown'}, {'expired'}, or {status, id, ...fields}
 * with status 'rotated' (the session after the move), 'parent' or 'reused'.
 */
export const ROTATE = new RedisScript(`${COMMON}
local id = redis.call('GET', KEYS[1])
if not id then return {'unknown'} end
local s = read(ARGV[1], id)
if not s[1] then return {'unknown'} end
if tonumber(ARGV[5]) >= tonumber(s[7]) then return {'expired'} end
if s[2] ~= ARGV[2] then return {s[3] == ARGV[2] and 'parent' or 'reused', id, unpack(s)} end
local key = ARGV[1] .. 'session:' .. id
redis.call('HSET', key, 'headHash', ARGV[3], 'previousHash', ARGV[2], 'rotatedAt', ARGV[5],
  'lastUsedAt', ARGV[5], 'expiresAt', ARGV[4])
redis.call('PEXPIRE', key, ARGV[6])
redis.call('SET', ARGV[1] .. 'token:' .. ARGV[3], id, 'PX', ARGV[6])
local index = ARGV[1] .. 'user-sessions:' .. s[1]
if redis.call('PTTL', index) < tonumber(ARGV[6]) then redis.call('PEXPIRE', index, ARGV[6]) end
return {'rotated', id, unpack(read(ARGV[1], id))}
`);

/** KEYS: user's sessions. ARGV: prefix, userId, session id. Returns 1 when it ended it, else 0. */
export const END_SESSION = new RedisScript(`${COMMON}
return end_session(ARGV[1], KEYS[1], ARGV[2], ARGV[3])
`);

/** KEYS: user's sessions. ARGV: prefix, userId, the id to keep or ''. Returns how many it ended. */
export const END_USER_SESSIONS = new RedisScript(`${COMMON}
local ended = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[3] then ended = ended + end_session(ARGV[1], KEYS[1], ARGV[2], id) end
end
return ended
`);

/**
 * KEYS: user's sessions. ARGV: prefix, now. Prunes ids whose record Redis dropped; returns
 * the live sessions (now < expiresAt) by createdAt as a flat list of {id, ...fields}.
 */
export const LIST_SESSIONS = new RedisScript(`${COMMON}
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = read(ARGV[1], id)
  if not s[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif tonumber(ARGV[2]) < tonumber(s[7]) then
    out[#out + 1] = id
    for i = 1, #s do out[#out + 1] = s[i] end
  end
end
return out
`);
