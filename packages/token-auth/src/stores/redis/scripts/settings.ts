/**
 * The settings script of the Redis store: `settings` (a hash of whole seconds) and
 * `settings:history` (a list of JSON entries, newest first, capped), under the prefix.
 *
 * @module
 */

import { RedisScript } from './script.js';

/**
 * KEYS: settings hash, history list. ARGV: most history entries kept, number n of
 * field/value pairs, the n pairs, then the history entries (JSON), oldest first.
 */
export const UPDATE_SETTINGS = new RedisScript(`
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV >= 3 + 2 * n then
  redis.call('LPUSH', KEYS[2], unpack(ARGV, 3 + 2 * n))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[1]) - 1)
end
return 1
`);
