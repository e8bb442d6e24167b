-- Mark a chat's replies sent up to a sequence number (store.MarkRepliesSent);
-- and drop the entries of a chat's relay list applied (store/relay.go).
-- KEYS: 1 the chat's reply list. ARGV: 1 sent up to this seq. Replies are
-- "<seq>|<payload>", oldest first. Returns how many replies are left. The
-- chat leaves the index of chats with unsent replies at a sweep
-- (store.ClaimUnsentReplies): that index is in another slot.
local upTo = tonumber(ARGV[1])
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local seq = tonumber(string.match(head, '^(%d+)|'))
  if seq == nil or seq > upTo then break end
  redis.call('LPOP', KEYS[1])
end
return redis.call('LLEN', KEYS[1])
