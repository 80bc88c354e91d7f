/**
 * The user scripts of the Redis store. Layout, under the store's prefix: `user:<id>` the
 * user (a hash), `email:<emailKey>` the id of the user holding that email, and the `user`
 * field of the `seq` hash the last id given.
 *
 * @module
 */

import { RedisScript } from './script.js';

/**
 * KEYS: email claim, sequence hash. ARGV: user key prefix, then field/value pairs.
 * Returns the new id, or false when the email is taken.
 */
export const CREATE_USER = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local id = redis.call('HINCRBY', KEYS[2], 'user', 1)
redis.call('SET', KEYS[1], id)
redis.call('HSET', ARGV[1] .. id, 'id', id, unpack(ARGV, 2))
return id
`);

/**
 * KEYS: email claim. ARGV: user key prefix. Returns the user hash (a flat field/value
 * list), false when the email is not claimed, or 0 when it points to no user (corruption).
 */
export const GET_USER_BY_EMAIL = new RedisScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
local user = redis.call('HGETALL', ARGV[1] .. id)
if #user == 0 then return 0 end
return user
`);

/**
 * KEYS: user. ARGV: email claim prefix, '1' when the patch sets emailKey, the new
 * emailKey, then field/value pairs. Claims the new email (unless this user holds it),
 * releases the old one and updates the hash. Returns the updated hash, false when there
 * is no such user, or 0 when the email belongs to another user (nothing changed).
 */
export const UPDATE_USER = new RedisScript(`
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return false end
if ARGV[2] == '1' then
  local old = redis.call('HGET', KEYS[1], 'emailKey')
  if old ~= ARGV[3] then
    local owner = redis.call('GET', ARGV[1] .. ARGV[3])
    if owner and owner ~= id then return 0 end
    redis.call('SET', ARGV[1] .. ARGV[3], id)
    if old and redis.call('GET', ARGV[1] .. old) == id then redis.call('DEL', ARGV[1] .. old) end
  end
end
if #ARGV >= 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
return redis.call('HGETALL', KEYS[1])
`);
