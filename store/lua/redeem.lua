-- Redeem an invite atomically (store.RedeemInvite).
-- KEYS: 1 invite hash, 2 labels hash (label -> chat), 3 patients hash
--       (chat -> label), 4 audit stream.
-- ARGV: 1 chat id, 2 now (RFC 3339).
-- Returns {-1} unknown or expired, {0} used by another chat (or its label
-- taken by another chat, for an invite not made to replace), {1, label}, or
-- {1, label, old chat} when the label moved here from another chat.
local inv = redis.call('HMGET', KEYS[1], 'label', 'state', 'chat', 'replace')
local label = inv[1]
if not label then
  return {-1}
end
local chat = ARGV[1]
if inv[2] == 'used' then
  if inv[3] == chat and redis.call('HGET', KEYS[2], label) == chat then
    return {1, label}
  end
  return {0}
end

local oldChat = redis.call('HGET', KEYS[2], label)
if oldChat and oldChat ~= chat then
  -- Only an invite made to replace may move a label another chat holds:
  -- of two invites for one new label, the first opened wins.
  if inv[4] ~= '1' then
    redis.call('XADD', KEYS[4], '*', 'event', 'invite.refused', 'label', label, 'chat', chat,
      'reason', 'label_taken', 'at', ARGV[2])
    return {0}
  end
  redis.call('HDEL', KEYS[3], oldChat)
end
local oldLabel = redis.call('HGET', KEYS[3], chat)
if oldLabel and oldLabel ~= label and redis.call('HGET', KEYS[2], oldLabel) == chat then
  redis.call('HDEL', KEYS[2], oldLabel)
end
redis.call('HSET', KEYS[2], label, chat)
redis.call('HSET', KEYS[3], chat, label)
-- Keep a tombstone until the invite's own expiry, so "used" stays
-- distinguishable from "unknown". HSET keeps the key's TTL.
redis.call('HSET', KEYS[1], 'state', 'used', 'chat', chat, 'used_at', ARGV[2])
local ev = {'event', 'invite.redeemed', 'label', label, 'chat', chat, 'at', ARGV[2]}
if oldChat and oldChat ~= chat then
  ev[#ev + 1] = 'unlinked_chat'
  ev[#ev + 1] = oldChat
end
redis.call('XADD', KEYS[4], '*', unpack(ev))
if oldChat and oldChat ~= chat then
  return {1, label, oldChat}
end
return {1, label}
