-- Commit the weekly digest's messages to one clinician chat's reply
-- outbox, once (store.CommitDigest). It touches the chat's keys only (one
-- slot); its audit event goes through the chat's relay list.
-- KEYS: 1 the chat's session hash, 2 the chat's reply list, 3 the chat's
--       relay list.
-- ARGV: 1 the digest's week (unix ms of its due time), 2 the relay
--       sequence already applied, 3 the relay entry (its audit event),
--       4.. the replies.
-- The session field d holds the week of the last digest committed. The
-- replies are numbered on from the session field r like a commit's, and
-- the session version goes up, so an update of that chat loaded before
-- this fails its compare-and-set and numbers its replies after these.
-- Returns {0} when the chat already has this digest, or {1, first seq,
-- relay entries...} once committed.
local done = tonumber(redis.call('HGET', KEYS[1], 'd') or '0')
if done >= tonumber(ARGV[1]) then
  return {0}
end
local seq = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
local first = seq + 1
for j = 4, #ARGV do
  seq = seq + 1
  redis.call('RPUSH', KEYS[2], tostring(seq) .. '|' .. ARGV[j])
end
redis.call('HSET', KEYS[1], 'r', tostring(seq), 'd', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'v', 1)
local relayed = tonumber(ARGV[2])
local q = math.max(tonumber(redis.call('HGET', KEYS[1], 'q') or '0'), relayed) + 1
redis.call('HSET', KEYS[1], 'q', tostring(q))
redis.call('RPUSH', KEYS[3], tostring(q) .. '|' .. ARGV[3])
local out = {1, first}
for _, e in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local s = tonumber(string.match(e, '^(%d+)|'))
  if s and s > relayed then
    out[#out + 1] = e
  end
end
return out
