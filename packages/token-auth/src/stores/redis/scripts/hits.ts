/**
 * The throttling script of the Redis store: `hits:<key>`, a hash of `count` and `resetAt`
 * (epoch ms by the core's clock) under the prefix, with a TTL of its window plus the grace.
 *
 * @module
 */

import { RedisScript } from './script.js';

/**
 * KEYS: counter. ARGV: now, resetAt of a new window (now + window, as the caller computed
 * it), TTL ms of a new window. Returns {count, resetAt} as strings.
 */
export const HIT = new RedisScript(`
local r = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
if r[1] and r[2] and tonumber(ARGV[1]) < tonumber(r[2]) then
  return {tostring(redis.call('HINCRBY', KEYS[1], 'count', 1)), r[2]}
end
redis.call('HSET', KEYS[1], 'count', 1, 'resetAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'1', ARGV[2]}
`);
