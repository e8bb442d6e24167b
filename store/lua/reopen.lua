-- Reopen a resolved escalation (store.Reopen): it is unresolved again and
-- stays acknowledged, so it is not re-paged; the earlier resolution stays in
-- the hash until a new one replaces it.
-- KEYS: 1 escalation hash, 2 its message list, 3 unresolved escalations
--       zset, 4 audit stream.
-- ARGV: 1 escalation id, 2 clinician id, 3 clinician name, 4 at (RFC 3339),
--       5 the escalation's raised-at (unix ms), its score among the unresolved.
-- Returns {-1} for an unknown escalation, else {first (1 or 0), HGETALL, LRANGE}.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local first = 0
if redis.call('HGET', KEYS[1], 'state') == 'resolved' then
  redis.call('HSET', KEYS[1], 'state', 'reopened', 'reopened_by', ARGV[2],
    'reopened_by_name', ARGV[3], 'reopened_at', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
  redis.call('XADD', KEYS[4], '*', 'event', 'escalation.reopened', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[4])
  first = 1
else
  redis.call('XADD', KEYS[4], '*', 'event', 'escalation.reopen_refused', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[4])
end
return {first, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
