-- Take chats a sweep found with nothing left to send or relay out of the
-- index of chats with unsent replies (store.ClaimUnsentReplies), each only
-- if its score is still the sweep's claim: a store.Load that marked it
-- since (its update is being committed) keeps it in.
-- KEYS: 1 the index. ARGV: 1 the claim's score, 2.. the chat ids.
-- Returns how many left the index.
local n = 0
for a = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[a])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    n = n + redis.call('ZREM', KEYS[1], ARGV[a])
  end
end
return n
