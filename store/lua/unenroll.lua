-- Unenrol a patient (store.Unenroll): the global part. The chat's live
-- session is deleted next, in the chat's own slot (session_end.lua).
-- KEYS: 1 labels hash (label -> chat), 2 patients hash (chat -> label),
--       3 audit stream, 4 former labels hash (label -> the chat it was
--       linked to, for the records).
-- ARGV: 1 label, 2 the chat it was read under, 3 clinician id, 4 now (RFC 3339).
-- Returns 1, or 0 when the label is no longer linked to that chat.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[3], '*', 'event', 'patient.unenrolled', 'label', ARGV[1],
  'chat', ARGV[2], 'by', ARGV[3], 'at', ARGV[4])
return 1
