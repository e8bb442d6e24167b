-- Extend a lease only if the owner still holds it.
-- KEYS: 1 lease key. ARGV: 1 owner, 2 ttl (ms). Returns 1 if extended, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
