-- The global half of store.Load: read a chat's patient label and how far
-- its relay entries were applied, and mark the chat in the index of chats
-- with unsent replies (before a commit: store/relay.go) if it is enrolled:
-- a stranger's message leaves no trace, and a commit on a snapshot without
-- the mark marks the chat itself first (store.Commit).
-- KEYS: 1 the index, 2 patients hash (chat -> label), 3 relayed hash
--       (chat -> highest relay seq applied).
-- ARGV: 1 the score (unix ms after which a sweeper may take the chat over),
--       2 the chat id.
-- Returns {label or "", relay seq applied or "0"}.
local label = redis.call('HGET', KEYS[2], ARGV[2])
if label then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
end
return {label or '', redis.call('HGET', KEYS[3], ARGV[2]) or '0'}
