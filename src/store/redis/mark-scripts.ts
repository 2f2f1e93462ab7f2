/**
 * Lua scripts of the cross-task marks (src/store/redis/marks.ts). Every one takes the same
 * three keys of the `{global}` slot, KEYS: marks hash, stamp index, meta hash, so the hash and
 * its index change together, atomically, on a Cluster too. Stamps are µs integers (< 2^53, so
 * exact in a Lua number) printed with %.0f, never in exponent form.
 */

/** Redis TIME in µs, as a number. */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000000 + tonumber(t[2])`;

/** Drops marks older than ARGV[maxAge] (µs), at most ARGV[limit] of them, from both keys. */
const PRUNE = (maxAgeArg: string, limitArg: string) => `
local cutoff = string.format('%.0f', now - tonumber(${maxAgeArg}))
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, ${limitArg})
if #old > 0 then
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end`;

/**
 * ARGV: field. Stamps of marks only grow (the last one is kept in meta), even if Redis TIME
 * steps back, so a reader that has read up to stamp S has seen every mark stamped before S.
 */
export const PUT_MARK = `
${NOW}
local last = tonumber(redis.call('HGET', KEYS[3], 'last') or '0')
if now <= last then now = last + 1 end
local stamp = string.format('%.0f', now)
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSETNX', KEYS[3], 'indexed', '1') end
redis.call('HSETNX', KEYS[3], 'epoch', stamp)
redis.call('HSET', KEYS[3], 'last', stamp)
redis.call('HSET', KEYS[1], ARGV[1], stamp)
redis.call('ZADD', KEYS[2], stamp, ARGV[1])
return stamp`;

/**
 * ARGV: from stamp, marks already read at it, limit, max age (µs). Prunes, then returns
 * {'ok', epoch, pruned, cut, [field, stamp, ...]}: marks stamped from the cursor on (from past
 * the cutoff when the cursor is older than it: cut = 1). {'unindexed'} when the hash predates
 * the index (it is indexed first, INDEX_MARKS).
 */
export const READ_MARKS = `
${NOW}
local meta = redis.call('HMGET', KEYS[3], 'epoch', 'indexed')
if not meta[2] and redis.call('EXISTS', KEYS[1]) == 1 then return {'unindexed'} end
local epoch = meta[1]
if not epoch then
  epoch = string.format('%.0f', now)
  redis.call('HSET', KEYS[3], 'epoch', epoch)
end
if not meta[2] then redis.call('HSET', KEYS[3], 'indexed', '1') end
${PRUNE('ARGV[4]', 'ARGV[3]')}
local from, skip, cut = ARGV[1], ARGV[2], 0
if tonumber(from) <= tonumber(cutoff) then from, skip, cut = '(' .. cutoff, 0, 1 end
local rows = redis.call('ZRANGEBYSCORE', KEYS[2], from, '+inf', 'WITHSCORES', 'LIMIT', skip, ARGV[3])
return {'ok', epoch, #old, cut, rows}`;

/**
 * ARGV: max age (µs), then fields of the hash (one HSCAN page). Indexes marks written before
 * the index existed; drops those already expired. Idempotent, so instances may race on it.
 */
export const INDEX_MARKS = `
${NOW}
local cutoff = now - tonumber(ARGV[1])
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    if tonumber(v) <= cutoff then
      redis.call('HDEL', KEYS[1], ARGV[i])
      redis.call('ZREM', KEYS[2], ARGV[i])
    else
      redis.call('ZADD', KEYS[2], 'NX', v, ARGV[i])
    end
  end
end
return 1`;
