// Lua run by Redis for presence: each reads a topic's live instance hashes in one round trip. An instance
// whose hash has expired (it died: no heartbeat refreshed it) is dropped from the topic's set on the way.
import { CLIENTS_FIELD } from './presence-keys.ts';

// Shared body: counts the topic (ARGV[1] = prefix of the instance hashes, KEYS[1] = the instances set) into
// `clients` and `users`; `seen` holds the distinct user ids.
const COUNT = `
local clients = 0
local users = 0
local seen = {}
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', ARGV[1] .. instance)
  if #fields == 0 then
    redis.call('SREM', KEYS[1], instance)
  else
    for i = 1, #fields, 2 do
      local field = fields[i]
      if field == '${CLIENTS_FIELD}' then
        clients = clients + tonumber(fields[i + 1])
      elseif not seen[field] then
        seen[field] = true
        users = users + 1
      end
    end
  end
end`;

/**
 * Throttled push decision. KEYS: instances set, sent key, last key. ARGV: instance hash prefix, window ms,
 * how long the last numbers are kept (ms). Answers {-1, ms left in the window} when another push holds the
 * window; {0, clients, users} when the numbers are those last pushed (the window is given back: nothing was
 * sent); {1, clients, users} when the caller must push them.
 */
export const PUSH_SCRIPT = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  return {-1, redis.call('PTTL', KEYS[2])}
end
${COUNT}
local numbers = clients .. ':' .. users
if redis.call('GET', KEYS[3]) == numbers then
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  return {0, clients, users}
end
redis.call('SET', KEYS[3], numbers, 'PX', ARGV[3])
return {1, clients, users}`;

/**
 * Counts and a sample of signed-in watchers. KEYS: instances set. ARGV: instance hash prefix, sample size,
 * then user ids to leave out of the sample (hidden from the caller). Answers {clients, users, ...sample}.
 */
export const SAMPLE_SCRIPT = `
local skip = {}
for i = 3, #ARGV do skip[ARGV[i]] = true end
${COUNT}
local result = {clients, users}
local want = tonumber(ARGV[2])
for id in pairs(seen) do
  if #result - 2 >= want then break end
  if not skip[id] then result[#result + 1] = id end
end
return result`;
