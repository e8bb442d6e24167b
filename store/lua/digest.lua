-- Commit the weekly digest's messages to one clinician chat's reply
-- outbox, once (store.CommitDigest).
-- KEYS: 1 the digest's mark (hash: chat -> last reply seq), 2 the chat's
--       session hash, 3 the chat's reply list, 4 the index of chats with
--       unsent replies, 5 the audit stream.
-- ARGV: 1 chat id, 2 index score (unix ms after which a sweeper may take
--       the replies over), 3 the mark's lifetime (ms), 4 the digest's
--       week (its due time, RFC 3339), 5 now (RFC 3339), 6.. the replies.
-- The replies are numbered on from the session field r like a commit's,
-- and the session version goes up, so an update of that chat loaded
-- before this fails its compare-and-set and numbers its replies after
-- these. Returns {0, last seq} when the chat already has this digest, or
-- {1, first seq} once committed.
local done = redis.call('HGET', KEYS[1], ARGV[1])
if done then
  return {0, tonumber(done)}
end
local seq = tonumber(redis.call('HGET', KEYS[2], 'r') or '0')
local first = seq + 1
for j = 6, #ARGV do
  seq = seq + 1
  redis.call('RPUSH', KEYS[3], tostring(seq) .. '|' .. ARGV[j])
end
redis.call('HSET', KEYS[2], 'r', tostring(seq))
redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], tostring(seq))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[5], '*', 'event', 'digest.sent', 'at', ARGV[5], 'chat', ARGV[1],
  'week', ARGV[4], 'messages', tostring(#ARGV - 5))
return {1, first}
