/**
 * Lua scripts of the approvals (each one round trip, atomic). A pending approval is indexed
 * three ways: by binding and in its task's pending set (under the task's `{txn}` tag, so one
 * script makes opening idempotent and bounded per task), and in its agent's pending set and
 * the admin list (under `{global}`). An agent is not a task, so its bound is a second script.
 */

/**
 * KEYS: approval, task pending (zset id -> expiresAt), task bindings (hash binding -> id).
 * ARGV: id, record json, status, keep-until, expiresAt, now, per-task bound, binding.
 * Returns {1} created, {2, id} already pending for the binding, {0, retryAfter} at the bound.
 */
export const OPEN_APPROVAL = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
local prev = redis.call('HGET', KEYS[3], ARGV[8])
if prev and redis.call('ZSCORE', KEYS[2], prev) then return {2, prev} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - tonumber(ARGV[6])}
end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'status', ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[8], ARGV[1])
for i = 2, 3 do
  if redis.call('EXPIREAT', KEYS[i], ARGV[4], 'GT') == 0 and redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIREAT', KEYS[i], ARGV[4])
  end
end
return {1}`;

/**
 * KEYS: agent pending (zset id -> expiresAt), admin list (zset of positions, all score 0).
 * ARGV: now, per-agent bound, id, expiresAt, position, keep-until.
 * Returns 1 when listed, else the seconds until the agent's first pending approval lapses (<= 0).
 */
export const RESERVE_AGENT_APPROVAL = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(ARGV[1]) - tonumber(first[2])
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
if redis.call('EXPIREAT', KEYS[1], ARGV[6], 'GT') == 0 and redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[6])
end
redis.call('ZADD', KEYS[2], 0, ARGV[5])
return 1`;

/** KEYS: approval, task pending, task bindings. ARGV: id, binding. Undoes OPEN_APPROVAL. */
export const UNDO_APPROVAL = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[3], ARGV[2]) end
return 1`;

/**
 * KEYS: approval, task pending. ARGV: id, status, by, reason, now. Only a pending approval can
 * be decided; returns its record json (the caller unlists it), or false.
 */
export const DECIDE_APPROVAL = `
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decidedBy', ARGV[3], 'decidedAt', ARGV[5])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[4]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HGET', KEYS[1], 'rec')`;
