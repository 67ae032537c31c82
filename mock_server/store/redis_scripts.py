"""The Lua scripts `RedisLog` runs: each is one atomic step of the store (an exchange, a snapshot kept,
a world founded, a snapshot claimed), so no two workers or hosts ever see half of one. The keys they use
are named here too."""

from __future__ import annotations

PREFIX = "fanfare-mock:"
LOG_KEY = PREFIX + "log"
SNAPSHOT_KEY = PREFIX + "snapshot"
#: The read lease: the id of the one host group (the processes sharing a position page) whose readers may
#: answer from their replica without asking the store; and the groups that lost it to a write from outside
#: (none of them takes it again until the set expires: see ARCHITECTURE.md).
LEASE_KEY = PREFIX + "lease"
CONTESTED_KEY = PREFIX + "contested"
#: Who is writing a snapshot now (one writer per store), and until when at most.
SNAPSHOT_CLAIM_KEY = PREFIX + "snapshot-claim"

# Ids compare as ms, then sequence (Lua numbers are doubles: exact below 2^53, far past any ms clock).
_OLDER = """
local function older(x, y)
  local a, b = string.match(x, '(%d+)-(%d+)')
  local c, d = string.match(y, '(%d+)-(%d+)')
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  return a < c or (a == c and b < d)
end
"""

# Keep the snapshot only if it is newer than the kept one, and trim the stream up to it: what precedes
# the snapshot is never read again (a reader behind it restores the snapshot first, see EXCHANGE). The
# claim (KEYS[3]) is let go when it is the writer's own (ARGV[3]).
SAVE_SNAPSHOT = (
    _OLDER
    + """
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
local kept = redis.call('HGET', KEYS[1], 'position')
if kept and not older(kept, ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'position', ARGV[1], 'data', ARGV[2])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1])
return 1
"""
)

# One exchange, atomically. ARGV: the reader's position, the read limit, the number of commands, the
# caller's group ('' for none), the lease and the contested mark in ms, then the commands (the JSON
# part, then '1'..raw body or '0').
# 1. Append the commands. An append from outside the lease's group takes the lease away and answers how
#    long it still runs: the caller waits that long before it acknowledges, so no reader still trusting
#    the lease can miss the write. The group that lost it joins the contested set (KEYS[4]), which
#    lives on while groups other than its members (or hosts with no page) keep appending.
# 2. Renew the lease, or take it for the caller's group unless that group is in the contested set (two
#    writing groups end up both in it: no lease, every read asks the store, no wait on any write).
# 3. Read past the position; a reader behind the kept snapshot (the stream was trimmed past it) gets the
#    snapshot and reads past it instead. Atomic, so the snapshot never holds the commands just appended.
# Replies {ids, entries, snapshot or false, the stream's last id, lease granted (0/1), wait ms}.
EXCHANGE = (
    _OLDER
    + """
local count, group = tonumber(ARGV[3]), ARGV[4]
local lease_ms, contested_ms = tonumber(ARGV[5]), tonumber(ARGV[6])
local ids = {}
for i = 1, count do
  local data, raw = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  if string.sub(raw, 1, 1) == '1' then
    ids[i] = redis.call('XADD', KEYS[1], '*', 'c', data, 'r', string.sub(raw, 2))
  else
    ids[i] = redis.call('XADD', KEYS[1], '*', 'c', data)
  end
end
local holder, wait, granted = redis.call('GET', KEYS[3]), 0, 0
local mine = redis.call('SISMEMBER', KEYS[4], group)
if count > 0 then
  if holder and holder ~= group then
    wait = redis.call('PTTL', KEYS[3])
    if wait < 0 then wait = lease_ms end
    redis.call('DEL', KEYS[3])
    redis.call('SADD', KEYS[4], holder)
    redis.call('PEXPIRE', KEYS[4], contested_ms)
    holder = false
  elseif redis.call('SCARD', KEYS[4]) > mine then
    redis.call('PEXPIRE', KEYS[4], contested_ms)
  end
end
if group ~= '' then
  if holder == group then
    redis.call('PEXPIRE', KEYS[3], lease_ms)
    granted = 1
  elseif not holder and mine == 0 and wait == 0 then  -- (a lease taken now would run out in the wait)
    redis.call('SET', KEYS[3], group, 'PX', lease_ms)
    granted = 1
  end
end
local after, snapshot = ARGV[1], false
local kept = redis.call('HGET', KEYS[2], 'position')
if kept and older(after, kept) then
  snapshot = redis.call('HMGET', KEYS[2], 'position', 'data')
  after = kept
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
last = last[1] and last[1][1] or '0-0'
local rows = redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2])
return {ids, rows, snapshot, last, granted, wait}
"""
)

# Found a new world: append the commands only onto an empty log with no snapshot (one founder wins). No
# group can hold the lease then: a lease is taken in an exchange, after the genesis snapshot is kept.
FOUND = """
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('XLEN', KEYS[1]) > 0 then return 0 end
for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'c', ARGV[i]) end
return 1
"""

# Claim the writing of the snapshot at ARGV[1] (one writer per store): granted unless another claim is
# live, or the log since the kept snapshot is shorter than ARGV[2] entries (someone just wrote one). The
# claim ends when its snapshot is kept (SAVE_SNAPSHOT) or after ARGV[3] ms (a writer that died).
# Replies {granted (0/1), the kept snapshot's size in bytes}.
CLAIM_SNAPSHOT = """
local size = redis.call('HSTRLEN', KEYS[3], 'data')
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, size} end
if redis.call('XLEN', KEYS[2]) < tonumber(ARGV[2]) then return {0, size} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {1, size}
"""
