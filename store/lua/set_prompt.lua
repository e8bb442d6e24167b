-- Record the message showing the current prompt's buttons (store.SetPromptMessage).
-- KEYS: 1 session hash. ARGV: 1 session version it belongs to, 2 message id.
-- Writes only while the session is still at that version.
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'p', ARGV[2])
  return 1
end
return 0
