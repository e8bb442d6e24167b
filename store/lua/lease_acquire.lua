-- Take a lease, or extend it when the owner already holds it.
-- KEYS: 1 lease key. ARGV: 1 owner, 2 ttl (ms). Returns 1 if held, else 0.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return 1
