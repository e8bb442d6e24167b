-- Requeue expired claims, then claim due jobs (store.ClaimDue,
-- store.RequeueExpiredClaims).
-- KEYS: 1 schedule zset (score = due ms), 2 claimed zset (score = lease
--       deadline ms). Members are "<chat>|<due ms>|<job JSON>".
-- ARGV: 1 now (ms), 2 max jobs to claim (0 = only requeue), 3 lease deadline (ms).
-- Returns {number requeued, claimed members...}.
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, m in ipairs(expired) do
  local due = string.match(m, '^[^|]*|(-?%d+)|') or ARGV[1]
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZADD', KEYS[1], due, m)
end
local out = {tostring(#expired)}
local max = tonumber(ARGV[2])
if max > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, max)
  for _, m in ipairs(due) do
    redis.call('ZREM', KEYS[1], m)
    redis.call('ZADD', KEYS[2], ARGV[3], m)
    out[#out + 1] = m
  end
end
return out
