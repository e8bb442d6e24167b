-- Commit one handled update atomically (store.Commit).
-- KEYS: 1 session hash, 2 answers list, 3 check-ins list, 4 outbox stream,
--       5 escalation id counter, 6 schedule zset, 7 open escalations zset,
--       8 audit stream, 9 unresolved escalations zset, 10 history index zset.
-- ARGV: 1 expected version, 2 update id (0 = none), 3 session (JSON,
--       sealed or not: never parsed here), 4 escalation key prefix,
--       5 now (RFC 3339), 6 now (unix ms),
--       7 n answers, then n answer entries ("<ms>|<JSON, sealed or not>"),
--       completion entry ("" = none; it names how many answers its run
--         had, which the answers list holds: a run's answers are stored once),
--       n escalations, then per escalation 13 values: level, patient, chat,
--         flow, item, question, answer, reason (the last three sealed or
--         not, stored as given), at (RFC 3339), at (unix ms),
--         re-page due (unix ms, 0 = never), re-page member before and after
--         the escalation id (the first re-page is scheduled with the
--         escalation, so it cannot be lost),
--       n jobs, then per job: score (due unix ms), member,
--       then the audit block, and last the reply outbox block (see their
--       comments at the end).
-- An expected version of -1 records escalations only (store.RaiseEscalation,
-- when the session cannot be loaded): no version check, and the session,
-- answers, completion, jobs, audit events and replies are left alone (pass
-- none).
-- Returns {1, new version, escalation ids...}, {0, stored version} on a
-- version conflict, {-1, highest update id} for an update already committed.
-- KEYS[13] is the session hash holding the update's de-duplication mark:
-- KEYS[1] for the chat's own update, the clinician chat's for a
-- clinician's command changing this patient (store.Commit.By).
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local seen = tonumber(redis.call('HGET', KEYS[13], 'u') or '0')
local escalationOnly = tonumber(ARGV[1]) == -1
if not escalationOnly and version ~= tonumber(ARGV[1]) then
  return {0, version}
end
local update = tonumber(ARGV[2])
if update > 0 and update <= seen then
  return {-1, seen}
end

local newv = version + 1
if escalationOnly then
  newv = version
else
  redis.call('HSET', KEYS[1], 'v', tostring(newv), 's', ARGV[3])
  if update > 0 then
    redis.call('HSET', KEYS[13], 'u', ARGV[2])
  end
end

-- The history index holds each history list with a score no later than its
-- oldest entry (NX keeps an older score), so store.Prune finds what is past
-- retention without scanning every chat.
local i = 7
local n = tonumber(ARGV[i])
for j = 1, n do
  redis.call('RPUSH', KEYS[2], ARGV[i + j])
end
if n > 0 then
  redis.call('ZADD', KEYS[10], 'NX', ARGV[6], KEYS[2])
end
i = i + n + 1
if ARGV[i] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[i])
  redis.call('ZADD', KEYS[10], 'NX', ARGV[6], KEYS[3])
end
i = i + 1

local out = {1, newv}
n = tonumber(ARGV[i])
for j = 1, n do
  local b = i + (j - 1) * 13
  local id = tostring(redis.call('INCR', KEYS[5]))
  redis.call('HSET', ARGV[4] .. id,
    'id', id, 'level', ARGV[b + 1], 'patient', ARGV[b + 2], 'chat', ARGV[b + 3],
    'flow', ARGV[b + 4], 'item', ARGV[b + 5], 'question', ARGV[b + 6],
    'answer', ARGV[b + 7], 'reason', ARGV[b + 8], 'at', ARGV[b + 9], 'state', 'open')
  redis.call('ZADD', KEYS[7], ARGV[b + 10], id)
  redis.call('ZADD', KEYS[9], ARGV[b + 10], id)
  if tonumber(ARGV[b + 11]) > 0 then
    redis.call('ZADD', KEYS[6], ARGV[b + 11], ARGV[b + 12] .. id .. ARGV[b + 13])
  end
  redis.call('XADD', KEYS[4], '*', 'esc', id)
  redis.call('XADD', KEYS[8], '*', 'event', 'escalation.raised', 'esc', id,
    'level', ARGV[b + 1], 'chat', ARGV[b + 3], 'at', ARGV[5])
  out[#out + 1] = id
end
i = i + n * 13 + 1

n = tonumber(ARGV[i])
for j = 1, n do
  local b = i + (j - 1) * 2
  redis.call('ZADD', KEYS[6], ARGV[b + 1], ARGV[b + 2])
end
i = i + n * 2 + 1

-- Audit events of the change (the dose gate's, store.Commit.Audit), so a
-- gate change and its audit entry are written together or not at all.
-- ARGV: n events, then per event: k field pairs, then k name/value pairs.
n = tonumber(ARGV[i])
i = i + 1
for j = 1, n do
  local k = tonumber(ARGV[i])
  local ev = {}
  for f = 1, 2 * k do
    ev[f] = ARGV[i + f]
  end
  redis.call('XADD', KEYS[8], '*', unpack(ev))
  i = i + 2 * k + 1
end

-- An invite made by this update (a clinician's /enroll), so a retried
-- update finds it made. ARGV: key ("" = none), label, clinician, created
-- (RFC 3339), TTL (ms), replace ("1": it may move a label enrolled elsewhere).
if ARGV[i] ~= '' then
  redis.call('HSET', ARGV[i], 'label', ARGV[i + 1], 'by', ARGV[i + 2], 'created', ARGV[i + 3], 'state', 'open',
    'replace', ARGV[i + 5])
  redis.call('PEXPIRE', ARGV[i], ARGV[i + 4])
  redis.call('XADD', KEYS[8], '*', 'event', 'invite.created', 'label', ARGV[i + 1], 'by', ARGV[i + 2], 'at', ARGV[i + 3])
end
i = i + 6

-- Reply outbox (store/replies.go). It reads the END of ARGV, so it stays
-- right whatever blocks come before it: store.Commit appends its arguments
-- last. KEYS: 11 the chat's reply list, 12 the global index of chats with
-- unsent replies. ARGV, last first: n replies; before it the n payloads;
-- before them: replies already sent up to this sequence number (dropped
-- here: the lazy mark), the chat id, the index score (unix ms after which
-- a sweeper may take the replies over). Each reply is stored as
-- "<seq>|<payload>", numbered on from the session field r (the chat's
-- last allocated seq, as the update loaded it).
local function trimSent(key, upTo)
  while upTo > 0 do
    local head = redis.call('LINDEX', key, 0)
    if not head then return end
    local seq = tonumber(string.match(head, '^(%d+)|'))
    if seq == nil or seq > upTo then return end
    redis.call('LPOP', key)
  end
end
local nr = tonumber(ARGV[#ARGV])
local r0 = #ARGV - nr - 3
trimSent(KEYS[11], tonumber(ARGV[r0]))
local chat, sweepAt = ARGV[r0 + 1], ARGV[r0 + 2]
if nr > 0 then
  local seq = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
  for j = 1, nr do
    seq = seq + 1
    redis.call('RPUSH', KEYS[11], tostring(seq) .. '|' .. ARGV[r0 + 2 + j])
  end
  redis.call('HSET', KEYS[1], 'r', tostring(seq))
  redis.call('ZADD', KEYS[12], sweepAt, chat)
elseif redis.call('LLEN', KEYS[11]) == 0 then
  redis.call('ZREM', KEYS[12], chat)
end
return out
