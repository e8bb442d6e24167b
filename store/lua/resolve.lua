-- Resolve an escalation with a clinician's note (store.Resolve). Resolving
-- an unacknowledged escalation acknowledges it too, by the same clinician;
-- only the first resolution counts.
-- KEYS: 1 escalation hash, 2 its message list, 3 open escalations zset,
--       4 unresolved escalations zset, 5 audit stream.
-- ARGV: 1 escalation id, 2 clinician id, 3 clinician name, 4 note,
--       5 at (RFC 3339).
-- Returns {-1} for an unknown escalation, else {first (1 or 0), was
-- unacknowledged (1 or 0), HGETALL, LRANGE}.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local state = redis.call('HGET', KEYS[1], 'state')
local first, wasOpen = 0, 0
if state == 'resolved' then
  redis.call('XADD', KEYS[5], '*', 'event', 'escalation.resolve_repeated', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[5])
else
  if state == 'open' then
    redis.call('HSET', KEYS[1], 'acked_by', ARGV[2], 'acked_by_name', ARGV[3], 'acked_at', ARGV[5])
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('XADD', KEYS[5], '*', 'event', 'escalation.acked', 'esc', ARGV[1],
      'by', ARGV[2], 'at', ARGV[5])
    wasOpen = 1
  end
  redis.call('HSET', KEYS[1], 'state', 'resolved', 'resolved_by', ARGV[2],
    'resolved_by_name', ARGV[3], 'resolved_at', ARGV[5], 'note', ARGV[4])
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('XADD', KEYS[5], '*', 'event', 'escalation.resolved', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[5])
  first = 1
end
return {first, wasOpen, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
