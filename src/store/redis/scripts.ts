/**
 * Lua scripts: each is one round trip and atomic. Stamps come from Redis `TIME` (µs) so every
 * instance orders events by one clock. TIME returns strings; we concatenate instead of doing
 * arithmetic because Lua numbers would print in exponent form.
 */
const STAMP = `local t = redis.call('TIME'); local stamp = t[1] .. string.format('%06d', tonumber(t[2]))`;

/** The audit event, when given, goes to the task's stream in the same atomic step. */
const AUDIT = (jsonArg: string, maxLenArg: string) => `
if ${jsonArg} ~= '' then redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', ${maxLenArg}, '*', 'e', ${jsonArg}) end`;

/**
 * KEYS: task, tokens, events. ARGV: deadline, jti, record, audit json, audit expire-at,
 * audit maxlen, then field/value pairs of the task.
 */
export const START_TASK = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 'task_ended'} end
${STAMP}
redis.call('HSET', KEYS[1], 'status', 'open', 'stamp', stamp, unpack(ARGV, 7))
redis.call('HSET', KEYS[2], ARGV[2], stamp .. ' ' .. ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[2], ARGV[1])
${AUDIT('ARGV[4]', 'ARGV[6]')}
if ARGV[4] ~= '' then redis.call('EXPIREAT', KEYS[3], ARGV[5]) end
return {1, stamp}`;

/** KEYS: task, tokens, revoked, events. ARGV: jti, record, audit json, audit maxlen, audit max age, ancestors... */
export const RECORD_TOKEN = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {0, 'unknown_task'} end
if st ~= 'open' then return {0, 'task_ended'} end
for i = 6, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return {0, 'revoked'} end
end
${STAMP}
redis.call('HSET', KEYS[2], ARGV[1], stamp .. ' ' .. ARGV[2])
${AUDIT('ARGV[3]', 'ARGV[4]')}
if ARGV[3] ~= '' and redis.call('TTL', KEYS[4]) < 0 then
  redis.call('EXPIREAT', KEYS[4], tonumber(redis.call('HGET', KEYS[1], 'deadline')) + tonumber(ARGV[5]))
end
return {1, stamp}`;

/**
 * Renewal, one atomic step. KEYS: task, tokens, revoked, notified, events. ARGV: new deadline,
 * jti, record, audit json, audit maxlen, audit max age, ancestors... Refuses as RECORD_TOKEN does,
 * and `not_extended` unless the deadline moves later; then every key of the task lives to it
 * (EXPIREAT on a missing key is a no-op; GT never shortens the audit stream's life).
 */
export const RENEW_TASK = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {0, 'unknown_task'} end
if st ~= 'open' then return {0, 'task_ended'} end
for i = 7, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return {0, 'revoked'} end
end
if tonumber(ARGV[1]) <= tonumber(redis.call('HGET', KEYS[1], 'deadline')) then
  return {0, 'not_extended'}
end
${STAMP}
redis.call('HSET', KEYS[1], 'deadline', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], stamp .. ' ' .. ARGV[3])
for i = 1, 4 do redis.call('EXPIREAT', KEYS[i], ARGV[1]) end
${AUDIT('ARGV[4]', 'ARGV[5]')}
redis.call('EXPIREAT', KEYS[5], tonumber(ARGV[1]) + tonumber(ARGV[6]), 'GT')
if redis.call('TTL', KEYS[5]) == -1 then
  redis.call('EXPIREAT', KEYS[5], tonumber(ARGV[1]) + tonumber(ARGV[6]))
end
return {1, stamp}`;

/** KEYS: events. ARGV: json, maxlen, ttl seconds. A stream with no expiry gets one (never unbounded). */
export const APPEND_TASK_AUDIT = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/** KEYS: task, tokens, revoked. ARGV: jti, ancestors... Returns the token state. */
export const CHECK_TOKEN = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'unknown' end
if st ~= 'open' then return 'task_ended' end
for i = 1, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return 'revoked' end
end
return 'active'`;

/** As CHECK_TOKEN, returning {state, record} (the record only when active). */
export const INSPECT_TOKEN = `
local st = redis.call('HGET', KEYS[1], 'status')
local rec = redis.call('HGET', KEYS[2], ARGV[1])
if not st or not rec then return {'unknown'} end
if st ~= 'open' then return {'task_ended'} end
for i = 1, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return {'revoked'} end
end
return {'active', rec}`;

/** KEYS: task, tokens. ARGV: status, endedBy, outcome, summary. -1 unknown, -2 already ended, else token count. */
export const END_TASK = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st ~= 'open' then return -2 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'endedBy', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'outcome', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'summary', ARGV[4]) end
return redis.call('HLEN', KEYS[2])`;

/** KEYS: task, revoked. ARGV: jti. One write; the set dies with the task. 0 gone, 1 new, 2 already. */
export const REVOKE_TOKEN = `
local deadline = redis.call('HGET', KEYS[1], 'deadline')
if not deadline then return 0 end
local added = redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIREAT', KEYS[2], deadline)
if added == 1 then return 1 end
return 2`;

/** KEYS: task, notified. ARGV: member. Notes a published revocation; the set dies with the task. */
export const NOTE_NOTIFIED = `
local deadline = redis.call('HGET', KEYS[1], 'deadline')
if not deadline then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIREAT', KEYS[2], deadline)
return 1`;

/** KEYS: feed. ARGV: channel, maxlen, event json. Append then publish "<id> <json>". */
export const PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[3])
redis.call('PUBLISH', ARGV[1], id .. ' ' .. ARGV[3])
return id`;

/** KEYS: approval. ARGV: now ms. Returns {rec, status, lastPoll, decidedBy, reason, decidedAt} and notes the poll. */
export const POLL_APPROVAL = `
local v = redis.call('HMGET', KEYS[1], 'rec', 'status', 'lastPoll', 'decidedBy', 'reason', 'decidedAt')
if not v[1] then return false end
redis.call('HSET', KEYS[1], 'lastPoll', ARGV[1])
return v`;

/** KEYS: approval. Single use: approved -> used exactly once. */
export const CONSUME_APPROVAL = `
if redis.call('HGET', KEYS[1], 'status') ~= 'approved' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'used')
return 1`;
