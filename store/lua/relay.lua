-- Apply one chat's relay entries to the global keys, each once
-- (store/relay.go). Every key it touches carries the tag {g}: one slot.
-- KEYS: 1 relayed hash (chat -> highest relay seq applied), 2 outbox
--       stream, 3 escalation id counter, 4 schedule zset, 5 open
--       escalations zset, 6 unresolved escalations zset, 7 audit stream,
--       8 history index zset.
-- ARGV: 1 chat id, 2 escalation key prefix, then per entry: its seq and
--       its payload, oldest first. An entry already applied is skipped; an
--       entry that does not follow the last applied one stops the script
--       (one before it is missing: the caller read the list before that
--       one was written, and a later relay brings both).
-- A payload is a sequence of netstrings ("<length>:<bytes>"): operations,
-- each a tag and its fields:
--   E escalation: level, patient, chat, flow, item, question, answer,
--     reason (the last three sealed or not, stored as given), at (RFC
--     3339), at (unix ms), re-page due (unix ms, 0 = never), re-page member
--     before and after the escalation id (the first re-page is scheduled
--     with the escalation, so it cannot be lost), committed at (RFC 3339)
--   J job: score (due unix ms), schedule member
--   A audit event: k, then k name/value pairs
--   I invite: key, label, clinician, created (RFC 3339), TTL (ms), replace
--     ("1": it may move a label enrolled elsewhere)
--   H history list started: score (unix ms), list key
-- Returns {highest seq applied, escalation ids allocated now...}.
local function fields(s)
  local out, pos = {}, 1
  while pos <= #s do
    local colon = string.find(s, ':', pos, true)
    if not colon then break end
    local n = tonumber(string.sub(s, pos, colon - 1))
    out[#out + 1] = string.sub(s, colon + 1, colon + n)
    pos = colon + n + 1
  end
  return out
end

local chat = ARGV[1]
local applied = tonumber(redis.call('HGET', KEYS[1], chat) or '0')
local ids = {}
for a = 3, #ARGV - 1, 2 do
  local seq = tonumber(ARGV[a])
  if seq > applied then
    if seq ~= applied + 1 then break end
    local t = fields(ARGV[a + 1])
    local i = 1
    while i <= #t do
      local op = t[i]
      if op == 'E' then
        local id = tostring(redis.call('INCR', KEYS[3]))
        redis.call('HSET', ARGV[2] .. id,
          'id', id, 'level', t[i + 1], 'patient', t[i + 2], 'chat', t[i + 3],
          'flow', t[i + 4], 'item', t[i + 5], 'question', t[i + 6],
          'answer', t[i + 7], 'reason', t[i + 8], 'at', t[i + 9], 'state', 'open')
        redis.call('ZADD', KEYS[5], t[i + 10], id)
        redis.call('ZADD', KEYS[6], t[i + 10], id)
        if tonumber(t[i + 11]) > 0 then
          redis.call('ZADD', KEYS[4], t[i + 11], t[i + 12] .. id .. t[i + 13])
        end
        redis.call('XADD', KEYS[2], '*', 'esc', id)
        redis.call('XADD', KEYS[7], '*', 'event', 'escalation.raised', 'esc', id,
          'level', t[i + 1], 'chat', t[i + 3], 'at', t[i + 14])
        ids[#ids + 1] = id
        i = i + 15
      elseif op == 'J' then
        redis.call('ZADD', KEYS[4], t[i + 1], t[i + 2])
        i = i + 3
      elseif op == 'A' then
        local k = tonumber(t[i + 1])
        local ev = {}
        for f = 1, 2 * k do
          ev[f] = t[i + 1 + f]
        end
        redis.call('XADD', KEYS[7], '*', unpack(ev))
        i = i + 2 + 2 * k
      elseif op == 'I' then
        redis.call('HSET', t[i + 1], 'label', t[i + 2], 'by', t[i + 3], 'created', t[i + 4], 'state', 'open',
          'replace', t[i + 6])
        redis.call('PEXPIRE', t[i + 1], t[i + 5])
        redis.call('XADD', KEYS[7], '*', 'event', 'invite.created', 'label', t[i + 2], 'by', t[i + 3], 'at', t[i + 4])
        i = i + 7
      elseif op == 'H' then
        -- NX keeps an older score: the index's score stays no later than
        -- the list's oldest entry.
        redis.call('ZADD', KEYS[8], 'NX', t[i + 1], t[i + 2])
        i = i + 3
      else
        return redis.error_reply('relay: unknown operation ' .. tostring(op))
      end
    end
    applied = seq
  end
end
redis.call('HSET', KEYS[1], chat, tostring(applied))
local out = {applied}
for _, id in ipairs(ids) do
  out[#out + 1] = id
end
return out
