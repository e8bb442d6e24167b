-- Mark a chat's replies sent up to a sequence number (store.MarkRepliesSent).
-- KEYS: 1 the chat's reply list, 2 the index of chats with unsent replies.
-- ARGV: 1 sent up to this seq, 2 the chat id. Replies are "<seq>|<payload>",
-- oldest first; the chat leaves the index once none is left. Returns how
-- many replies are left.
local upTo = tonumber(ARGV[1])
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local seq = tonumber(string.match(head, '^(%d+)|'))
  if seq == nil or seq > upTo then break end
  redis.call('LPOP', KEYS[1])
end
local left = redis.call('LLEN', KEYS[1])
if left == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return left
