-- Acknowledge an escalation; only the first acknowledgement counts
-- (store.Acknowledge), and a resolved escalation stays resolved.
-- KEYS: 1 escalation hash, 2 its message list, 3 open escalations zset,
--       4 audit stream.
-- ARGV: 1 escalation id, 2 clinician id, 3 clinician name, 4 at (RFC 3339).
-- Returns {-1} for an unknown escalation, else {first (1 or 0), HGETALL, LRANGE}.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local first = 0
if redis.call('HGET', KEYS[1], 'state') == 'open' then
  redis.call('HSET', KEYS[1], 'state', 'acked', 'acked_by', ARGV[2],
    'acked_by_name', ARGV[3], 'acked_at', ARGV[4])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('XADD', KEYS[4], '*', 'event', 'escalation.acked', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[4])
  first = 1
else
  redis.call('XADD', KEYS[4], '*', 'event', 'escalation.ack_repeated', 'esc', ARGV[1],
    'by', ARGV[2], 'at', ARGV[4])
end
return {first, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
