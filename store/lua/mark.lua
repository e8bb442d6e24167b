-- Mark a chat in the index of chats with unsent replies (store.Load, before
-- a commit: store/relay.go), if it is enrolled: a stranger's message
-- leaves no trace, and a commit on a snapshot without the mark marks the
-- chat itself first (store.Commit).
-- KEYS: 1 the index, 2 patients hash (chat -> label).
-- ARGV: 1 the score (unix ms after which a sweeper may take the chat over),
--       2 the chat id.
-- Returns 1 when it marked the chat, else 0.
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
