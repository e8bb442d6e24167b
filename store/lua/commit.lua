-- Commit one handled update atomically (store.Commit). It touches the
-- chat's own keys only (one Redis Cluster slot, the tag {c:<chat>}); what
-- the update changes in the global keys (escalations, jobs, audit events,
-- an invite, the history index) is written as one entry of the chat's
-- relay list, which relay.lua then applies to the global keys (store/relay.go).
-- KEYS: 1 session hash, 2 answers list, 3 check-ins list, 4 reply list,
--       5 relay list.
-- ARGV: 1 expected version, 2 update id (0 = none), 3 session (JSON,
--       sealed or not: never parsed here), 4 the session field holding the
--       update's de-duplication mark ('u' for the chat's own update,
--       'b:<chat>' for a clinician's command from that chat changing this
--       one: update ids of different chats interleave, so each sender
--       has its own mark), 5 now (unix ms),
--       6 n answers, then n answer entries ("<ms>|<JSON, sealed or not>"),
--       completion entry ("" = none; it names how many answers its run
--         had, which the answers list holds: a run's answers are stored once),
--       the relay sequence already applied to the global keys (store.Load
--         read it; entries up to it leave the relay list here),
--       the relay entry's payload ("" = none; store/relay.go encodes it),
--       then the reply outbox block (see its comment at the end).
-- An expected version of -1 records a relay entry only (store.RaiseEscalation,
-- when the session cannot be loaded): no version check, and the session,
-- answers, completion and replies are left alone (pass none).
-- Returns {1, new version, relay entries...} (every entry of the relay list
-- not known applied, "<seq>|<payload>", oldest first), {0, stored version}
-- on a version conflict, {-1, highest update id, relay entries...} for an
-- update already committed (a retry relays what its first try may not have).
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local seen = tonumber(redis.call('HGET', KEYS[1], ARGV[4]) or '0')
local escalationOnly = tonumber(ARGV[1]) == -1
if not escalationOnly and version ~= tonumber(ARGV[1]) then
  return {0, version}
end
local update = tonumber(ARGV[2])
if update > 0 and update <= seen then
  local out = {-1, seen}
  for _, e in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do
    out[#out + 1] = e
  end
  return out
end

local newv = version + 1
if escalationOnly then
  newv = version
else
  redis.call('HSET', KEYS[1], 'v', tostring(newv), 's', ARGV[3])
  if update > 0 then
    redis.call('HSET', KEYS[1], ARGV[4], ARGV[2])
  end
end

-- netstring is how a relay entry's fields are written: "<length>:<bytes>",
-- binary safe.
local function netstring(s)
  return tostring(#s) .. ':' .. s
end

-- A history list entered in the history index (store.Prune) when it
-- starts: the relay adds it with a score no later than its first entry.
local relay = {}
local function started(list, n)
  if n == 1 then
    relay[#relay + 1] = netstring('H') .. netstring(ARGV[5]) .. netstring(list)
  end
end
local i = 6
local n = tonumber(ARGV[i])
for j = 1, n do
  started(KEYS[2], redis.call('RPUSH', KEYS[2], ARGV[i + j]))
end
i = i + n + 1
if ARGV[i] ~= '' then
  started(KEYS[3], redis.call('RPUSH', KEYS[3], ARGV[i]))
end
local relayedUpTo = tonumber(ARGV[i + 1])
local payload = ARGV[i + 2] .. table.concat(relay)

-- Drop a list's "<seq>|..." entries up to a seq from its head; returns
-- false when the list is left empty.
local function trimSent(key, upTo)
  while true do
    local head = redis.call('LINDEX', key, 0)
    if not head then return false end
    local seq = tonumber(string.match(head, '^(%d+)|'))
    if seq == nil or seq > upTo then return true end
    redis.call('LPOP', key)
  end
end

-- The relay list: entries the global keys have (relayedUpTo) go; this
-- update's entry is numbered on from the session field q (or from what was
-- applied, should q be gone).
local relayLeft = trimSent(KEYS[5], relayedUpTo)
if payload ~= '' then
  relayLeft = true
  local seq = math.max(tonumber(redis.call('HGET', KEYS[1], 'q') or '0'), relayedUpTo) + 1
  redis.call('HSET', KEYS[1], 'q', tostring(seq))
  redis.call('RPUSH', KEYS[5], tostring(seq) .. '|' .. payload)
end

-- Reply outbox (store/replies.go). It reads the END of ARGV, so it stays
-- right whatever blocks come before it: store.Commit appends its arguments
-- last. ARGV, last first: n replies; before it the n payloads; before
-- them: replies already sent up to this sequence number (dropped here: the
-- lazy mark). Each reply is stored as "<seq>|<payload>", numbered on from
-- the session field r (the chat's last allocated seq, as the update
-- loaded it). The chat is in the index of chats with unsent replies from
-- store.Load on, before this commit.
local nr = tonumber(ARGV[#ARGV])
local r0 = #ARGV - nr - 1
if tonumber(ARGV[r0]) > 0 then
  trimSent(KEYS[4], tonumber(ARGV[r0]))
end
if nr > 0 then
  local seq = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
  for j = 1, nr do
    seq = seq + 1
    redis.call('RPUSH', KEYS[4], tostring(seq) .. '|' .. ARGV[r0 + j])
  end
  redis.call('HSET', KEYS[1], 'r', tostring(seq))
end

local out = {1, newv}
if relayLeft then
  for _, e in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do
    out[#out + 1] = e
  end
end
return out
