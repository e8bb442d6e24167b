-- Claim chats whose replies were committed and not confirmed sent in time,
-- or whose relay entries may not be applied (store.ClaimUnsentReplies):
-- their instance died or is stuck, or they are done and only to be
-- unmarked.
-- KEYS: 1 the index of chats with unsent replies (score = unix ms after
-- which a sweeper may take them over). ARGV: 1 now (unix ms), 2 the new
-- score of a claimed chat (now + the grace, plus half a millisecond: a
-- store.Load marks whole milliseconds, so a claim's score tells that no
-- Load marked the chat since), 3 how many at most.
-- Returns the chat ids claimed.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, chat in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], chat)
end
return due
