-- A clinician's transition of an escalation from one state to the next:
-- acknowledge (open -> acked, store.Acknowledge; only the first counts) or
-- reopen (resolved -> reopened, store.Reopen; unresolved again and still
-- acknowledged, so not re-paged). From any other state nothing changes but
-- the audit entry saying the attempt was refused or repeated.
-- KEYS: 1 escalation hash, 2 its message list, 3 the zset the transition
--       leaves (ZREM) or enters (ZADD), 4 audit stream.
-- ARGV: 1 escalation id, 2 clinician id, 3 clinician name, 4 at (RFC 3339),
--       5 from state, 6 to state, 7 the stamp fields' prefix (<p>_by,
--       <p>_by_name, <p>_at), 8 'ZREM' or 'ZADD', 9 the ZADD score,
--       10 the event recorded, 11 the event of an attempt from another state.
-- Returns {-1} for an unknown escalation, else {first (1 or 0), HGETALL, LRANGE}.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local first = 0
local event = ARGV[11]
if redis.call('HGET', KEYS[1], 'state') == ARGV[5] then
  local p = ARGV[7]
  redis.call('HSET', KEYS[1], 'state', ARGV[6], p .. '_by', ARGV[2],
    p .. '_by_name', ARGV[3], p .. '_at', ARGV[4])
  if ARGV[8] == 'ZADD' then
    redis.call('ZADD', KEYS[3], ARGV[9], ARGV[1])
  else
    redis.call('ZREM', KEYS[3], ARGV[1])
  end
  event = ARGV[10]
  first = 1
end
redis.call('XADD', KEYS[4], '*', 'event', event, 'esc', ARGV[1], 'by', ARGV[2], 'at', ARGV[4])
return {first, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
