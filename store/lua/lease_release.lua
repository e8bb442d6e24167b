-- Delete a lease only if the owner holds it.
-- KEYS: 1 lease key. ARGV: 1 owner. Returns 1 if deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
