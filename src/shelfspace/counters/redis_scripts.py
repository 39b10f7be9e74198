"""The Lua scripts that make each budget step atomic in Redis.

A lease and a charge each read the campaign's spend and holds and change them in one
script, so two processes can never both take the last of a budget. Amounts
pass as the integer strings they are (HINCRBY takes them as they come), and a charge is
formatted with %d, never as a Lua float. Keys are built inside the scripts from a prefix:
this targets one Redis server (or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

# Shared by the budget scripts. What is held (the `reserved` fields) is a sum over hold
# buckets: each campaign day's hash `h:{campaign}:{day}` has, per bucket, the micros
# (`m:{n}`) and ads (`n:{n}`) whose holds lapse at the bucket's end, and its advertiser's
# account (`account`); `h-ends` lists every bucket by its end. A process's lease sits in
# the bucket of its end; what it hands out moves to the ads' own buckets when it reports.
_HOLDS = """
local function num(value) return tonumber(value or '0') or 0 end
local function int(value) return string.format('%d', value) end
-- a campaign's (and its account's) spend or holds changed: their versions (`v`) count each
-- change, so the processes' steering copies can tell which of two reads is the newer
local function changed(p, campaign, account)
  redis.call('HINCRBY', p .. 'b:' .. campaign, 'v', 1)
  if account and account ~= '' then redis.call('HINCRBY', p .. 'a:' .. account, 'v', 1) end
end
-- what a campaign day (and its account) holds, changed by `micros` (negative: given back)
local function hold(p, campaign, day, account, micros)
  redis.call('HINCRBY', p .. 'b:' .. campaign, 'reserved', micros)
  redis.call('HINCRBY', p .. 'b:' .. campaign .. ':' .. day, 'reserved', micros)
  if account and account ~= '' then redis.call('HINCRBY', p .. 'a:' .. account, 'reserved', micros) end
  changed(p, campaign, account)
end
-- what a step answers for the steering copies: the state right after it, as they read it
-- (counters/redis.py `_answered`): the campaign's spent, held and version, the day's spent
-- and held, the account's spent, held and version
local function state(p, campaign, day, account)
  local total = redis.call('HMGET', p .. 'b:' .. campaign, 'spent', 'reserved', 'v')
  local daily = redis.call('HMGET', p .. 'b:' .. campaign .. ':' .. day, 'spent', 'reserved')
  local funds = {false, false, false}
  if account and account ~= '' then funds = redis.call('HMGET', p .. 'a:' .. account, 'spent', 'reserved', 'v') end
  return {num(total[1]), num(total[2]), num(total[3]), num(daily[1]), num(daily[2]),
          num(funds[1]), num(funds[2]), num(funds[3])}
end
-- a bucket's micros and ads, changed; it lapses at `ends`
local function bucket(p, campaign, day, index, ends, micros, ads)
  local h = p .. 'h:' .. campaign .. ':' .. day
  redis.call('HINCRBY', h, 'm:' .. index, micros)
  if tonumber(ads) ~= 0 then redis.call('HINCRBY', h, 'n:' .. index, ads) end
  redis.call('ZADD', p .. 'h-ends', ends, campaign .. '|' .. day .. '|' .. index)
end
-- one ad's hold given back (its event came, or will charge nothing); only while Redis
-- knows the campaign day (not after it lost its data)
local function give_back(p, campaign, day, index, ends, micros)
  local h = p .. 'h:' .. campaign .. ':' .. day
  if redis.call('EXISTS', h) == 0 then return 0 end
  bucket(p, campaign, day, index, ends, '-' .. micros, -1)
  hold(p, campaign, day, redis.call('HGET', h, 'account'), '-' .. micros)
  return 1
end
-- what may still be held: the least of what the total, the day and the funds leave
local function left_of(p, campaign, day, total, daily, account, funds)
  local total_key, day_key = p .. 'b:' .. campaign, p .. 'b:' .. campaign .. ':' .. day
  local left = num(total) - num(redis.call('HGET', total_key, 'spent')) - num(redis.call('HGET', total_key, 'reserved'))
  if daily ~= '' then
    local day_left = num(daily) - num(redis.call('HGET', day_key, 'spent')) - num(redis.call('HGET', day_key, 'reserved'))
    if day_left < left then left = day_left end
  end
  if account ~= '' and funds ~= '' then
    local account_key = p .. 'a:' .. account
    local funds_left = num(funds) - num(redis.call('HGET', account_key, 'spent')) - num(redis.call('HGET', account_key, 'reserved'))
    if funds_left < left then left = funds_left end
  end
  return left
end
"""

# A process's lease on a campaign day: it gives back its last lease (what it did not hand
# out, and moves what it handed out to those ads' buckets) and takes a new slice, in one
# step. The slice is `target` at most and never more than a quarter of what is left, but
# at least `wanted` (one ad) when that much is left: slices shrink as the budget nears its
# end, and their sum never passes what is left.
# ARGV: prefix, campaign, day, total, daily ('' for none), account ('' for none), funds
# ('' for no limit), day key lifetime (s), the last lease's epoch ('' for none), its bucket
# index and end, what it did not hand out, wanted, target, the new lease's bucket index and
# end, then index, end, micros, ads of each bucket the last lease handed out into.
# Returns {granted micros, epoch, state}: the epoch names Redis's state since it was last
# restored; the state is the campaign day's and its account's right after (`state`).
LEASE = (
    _HOLDS
    + """
local p, campaign, day, account = ARGV[1], ARGV[2], ARGV[3], ARGV[6]
local epoch = redis.call('GET', p .. 'restored')
if not epoch then return {0, ''} end -- spend unknown until rebuilt from the log (no state)
local h = p .. 'h:' .. campaign .. ':' .. day
redis.call('HSET', h, 'account', account)
redis.call('EXPIRE', h, ARGV[8])
if ARGV[9] == epoch then -- the last lease is of this state (no restart since)
  local unused, moved = num(ARGV[12]), 0
  for i = 17, #ARGV, 4 do
    bucket(p, campaign, day, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    moved = moved + num(ARGV[i + 2])
  end
  bucket(p, campaign, day, ARGV[10], ARGV[11], int(-(unused + moved)), 0)
  if unused > 0 then hold(p, campaign, day, account, int(-unused)) end
end
local wanted, granted = num(ARGV[13]), 0
if wanted > 0 then
  local left = left_of(p, campaign, day, ARGV[4], ARGV[5], account, ARGV[7])
  granted = math.min(num(ARGV[14]), math.max(wanted, math.floor(left / 4)))
  if granted > left then granted = left end
  if granted < wanted then granted = 0 end
  if granted > 0 then
    hold(p, campaign, day, account, int(granted))
    bucket(p, campaign, day, ARGV[15], ARGV[16], int(granted), 0)
    redis.call('EXPIRE', p .. 'b:' .. campaign .. ':' .. day, ARGV[8])
  end
end
return {granted, epoch, state(p, campaign, day, account)}
"""
)

# Spend as the event log records it, after Redis lost its data (or on a first start):
# absolute values, then the marker (a new epoch) that lets leases through again.
# ARGV: prefix, day key lifetime (s), the number of accounts, then account, micros for
# each account, then campaign, day, micros for each campaign-day, and last the epoch.
RESTORE = """
local p = ARGV[1]
local first = 4 + 2 * tonumber(ARGV[3])
for i = 4, first - 1, 2 do
  redis.call('HSET', p .. 'a:' .. ARGV[i], 'spent', ARGV[i + 1])
  redis.call('HINCRBY', p .. 'a:' .. ARGV[i], 'v', 1)
end
local totals = {}
for i = first, #ARGV - 1, 3 do
  local campaign, day, micros = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local day_key = p .. 'b:' .. campaign .. ':' .. day
  redis.call('HSET', day_key, 'spent', micros)
  redis.call('EXPIRE', day_key, ARGV[2])
  totals[campaign] = (totals[campaign] or 0) + tonumber(micros)
end
for campaign, micros in pairs(totals) do
  redis.call('HSET', p .. 'b:' .. campaign, 'spent', string.format('%d', micros))
  redis.call('HINCRBY', p .. 'b:' .. campaign, 'v', 1)
end
redis.call('SET', p .. 'restored', ARGV[#ARGV])
return 1
"""

# ARGV: prefix, campaign, day, total limit, daily limit ('' for none), amount, day key
# lifetime (s), account ('' for none), the account's funds ('' for no limit), then the
# event's hold: micros ('' for none), bucket index and end. Returns {charged, whether
# what is held now passes what is left, state}: a charge above its hold (a click) can do
# that, and the process then gives back its own lease's rest before handing out more; the
# state is the campaign day's and its account's right after (`state`).
SETTLE = (
    _HOLDS
    + """
local p, campaign, day = ARGV[1], ARGV[2], ARGV[3]
if ARGV[10] ~= '' then give_back(p, campaign, day, ARGV[11], ARGV[12], ARGV[10]) end
local total_key, day_key = p .. 'b:' .. campaign, p .. 'b:' .. campaign .. ':' .. day
local room = num(ARGV[4]) - num(redis.call('HGET', total_key, 'spent'))
if ARGV[5] ~= '' then
  local day_room = num(ARGV[5]) - num(redis.call('HGET', day_key, 'spent'))
  if day_room < room then room = day_room end
end
local account_key = p .. 'a:' .. ARGV[8]
if ARGV[8] ~= '' and ARGV[9] ~= '' then
  local funds_room = num(ARGV[9]) - num(redis.call('HGET', account_key, 'spent'))
  if funds_room < room then room = funds_room end
end
local charged = num(ARGV[6])
if room < charged then charged = room end
if charged < 0 then charged = 0 end
local text = int(charged)
redis.call('HINCRBY', total_key, 'spent', text)
redis.call('HINCRBY', day_key, 'spent', text)
if ARGV[8] ~= '' then redis.call('HINCRBY', account_key, 'spent', text) end
redis.call('EXPIRE', day_key, ARGV[7])
changed(p, campaign, ARGV[8])
local over = 0
if left_of(p, campaign, day, ARGV[4], ARGV[5], ARGV[8], ARGV[9]) < 0 then over = 1 end
return {text, over, state(p, campaign, day, ARGV[8])}
"""
)

# ARGV: prefix, campaign, day, micros, bucket index, bucket end. Returns {given back (1)
# or not (0), the campaign day's account ('' for none), state (`state`)}.
RELEASE = (
    _HOLDS
    + """
local p, campaign, day = ARGV[1], ARGV[2], ARGV[3]
local given = give_back(p, campaign, day, ARGV[5], ARGV[6], ARGV[4])
local account = redis.call('HGET', p .. 'h:' .. campaign .. ':' .. day, 'account') or ''
return {given, account, state(p, campaign, day, account)}
"""
)

# Buckets whose end has passed: what they still hold (ads whose event never came, or a
# lease whose process died) is given back. ARGV: prefix, now (epoch seconds), most
# buckets in one call. Returns {buckets done, ads released}.
RELEASE_EXPIRED = (
    _HOLDS
    + """
local p = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', p .. 'h-ends', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local released = 0
for _, member in ipairs(due) do
  local campaign, day, index = string.match(member, '^(.*)|([^|]*)|([^|]*)$')
  local h = p .. 'h:' .. campaign .. ':' .. day
  local micros = num(redis.call('HGET', h, 'm:' .. index))
  released = released + num(redis.call('HGET', h, 'n:' .. index))
  if micros ~= 0 then hold(p, campaign, day, redis.call('HGET', h, 'account'), int(-micros)) end
  redis.call('HDEL', h, 'm:' .. index, 'n:' .. index)
  redis.call('ZREM', p .. 'h-ends', member)
end
return {#due, released}
"""
)

# Frequency counts end on the engine's clock (which may be simulated), not Redis's: each
# count's end is a score in a sorted set, swept by `forget_expired_frequency`. A user's
# counts are one hash (`fu:{user}`, counter -> count), read whole in one step; in the
# sorted set a count is named by the user's length in bytes, a colon, the user and the
# counter, so any user id and counter name come apart again.
# ARGV: prefix, then user, counter, by how much, ends at (epoch seconds) for each count.
# Returns each count's new value.
COUNT_FREQUENCY = """
local p, counts = ARGV[1], {}
for i = 2, #ARGV, 4 do
  local user, counter = ARGV[i], ARGV[i + 1]
  counts[#counts + 1] = redis.call('HINCRBY', p .. 'fu:' .. user, counter, ARGV[i + 2])
  redis.call('ZADD', p .. 'f-ends', ARGV[i + 3], string.len(user) .. ':' .. user .. counter)
end
return counts
"""

# ARGV: prefix, now (epoch seconds), most to forget in one call.
FORGET_FREQUENCY = """
local p = ARGV[1]
local ended = redis.call('ZRANGEBYSCORE', p .. 'f-ends', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(ended) do
  local length, rest = string.match(member, '^(%d+):(.*)$')
  local user = string.sub(rest, 1, tonumber(length))
  redis.call('HDEL', p .. 'fu:' .. user, string.sub(rest, tonumber(length) + 1))
  redis.call('ZREM', p .. 'f-ends', member)
end
return #ended
"""
