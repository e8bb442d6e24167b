-- Unenrol a patient (store.Unenroll).
-- KEYS: 1 labels hash (label -> chat), 2 patients hash (chat -> label),
--       3 the chat's session hash, 4 audit stream, 5 former labels hash
--       (label -> the chat it was linked to, for the records).
-- ARGV: 1 label, 2 the chat it was read under, 3 clinician id, 4 now (RFC 3339).
-- Returns 1, or 0 when the label is no longer linked to that chat.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
-- The live conversation goes; answers and check-ins stay for the clinic's
-- records until the retention period ends. The reply sequence (field r)
-- stays: a process remembers the last reply it sent by that number, and a
-- sequence starting again at 1 would make it skip the replies to the
-- patient's next enrolment.
redis.call('HDEL', KEYS[3], 'v', 's', 'u')
redis.call('XADD', KEYS[4], '*', 'event', 'patient.unenrolled', 'label', ARGV[1],
  'chat', ARGV[2], 'by', ARGV[3], 'at', ARGV[4])
return 1
