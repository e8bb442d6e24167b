-- Delete the entries of one history list (answers or check-ins) older than
-- the retention cutoff (store.Prune). Entries are "<ms>|<payload>", oldest
-- first, so it pops from the head until an entry is recent enough; it never
-- reads the payload, which may be sealed. It touches the list only (the
-- history index is in another slot: store.Prune rescores it).
-- KEYS: 1 the history list.
-- ARGV: 1 cutoff (unix ms; older entries go), 2 an entry without a time
--       (written before entries had one) as store.Prune read it, "" for
--       none, 3 that entry's time (unix ms), decoded by store.Prune.
-- Returns {deleted, 'done', the oldest entry's time (unix ms), or -1 for
-- an empty list}; {deleted, 'more'} when it stopped after a batch (call
-- again); {deleted, 'legacy', entry} when the head has no time and is not
-- ARGV[2] (decode it and call again).
local cutoff = tonumber(ARGV[1])
local deleted = 0
while deleted < 1000 do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then
    return {deleted, 'done', -1}
  end
  local ms = string.match(head, '^(%d+)|')
  local ts = ms and tonumber(ms)
  if not ts then
    if head ~= ARGV[2] then
      return {deleted, 'legacy', head}
    end
    ts = tonumber(ARGV[3])
  end
  if ts >= cutoff then
    return {deleted, 'done', ts}
  end
  redis.call('LPOP', KEYS[1])
  deleted = deleted + 1
end
return {deleted, 'more'}
