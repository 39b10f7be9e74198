"""The Lua scripts that make each budget step atomic in Redis.

A reservation and a charge each read the campaign's spend and reservations and change
them in one script, so two processes can never both take the last of a budget. Amounts
pass as the integer strings they are (HINCRBY takes them as they come), and a charge is
formatted with %d, never as a Lua float. Keys are built inside the scripts from a prefix:
this targets one Redis server (or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

# Shared by the scripts: drop a reservation (its amounts leave the reserved sums).
_DROP = """
local function drop(prefix, id)
  local held = prefix .. 'r:' .. id
  local campaign = redis.call('HGET', held, 'campaign')
  if not campaign then return 0 end
  local day = redis.call('HGET', held, 'day')
  local amount = redis.call('HGET', held, 'amount')
  redis.call('HINCRBY', prefix .. 'b:' .. campaign, 'reserved', '-' .. amount)
  redis.call('HINCRBY', prefix .. 'b:' .. campaign .. ':' .. day, 'reserved', '-' .. amount)
  local account = redis.call('HGET', held, 'account')
  if account and account ~= '' then redis.call('HINCRBY', prefix .. 'a:' .. account, 'reserved', '-' .. amount) end
  redis.call('DEL', held)
  redis.call('ZREM', prefix .. 'expiry', id)
  return 1
end
local function num(value) return tonumber(value or '0') or 0 end
"""

# ARGV: prefix, reservation id, campaign, day, total limit, daily limit ('' for none),
# amount, expires at (epoch seconds), day key lifetime (s), reservation lifetime (s),
# account ('' for none), the account's funds ('' for no limit).
RESERVE = _DROP + """
local p, id, campaign, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', p .. 'restored') == 0 then return 0 end -- spend unknown until rebuilt from the log
local total_key, day_key = p .. 'b:' .. campaign, p .. 'b:' .. campaign .. ':' .. day
local account_key = p .. 'a:' .. ARGV[11]
local left = num(ARGV[5]) - num(redis.call('HGET', total_key, 'spent')) - num(redis.call('HGET', total_key, 'reserved'))
if ARGV[6] ~= '' then
  local day_left = num(ARGV[6]) - num(redis.call('HGET', day_key, 'spent')) - num(redis.call('HGET', day_key, 'reserved'))
  if day_left < left then left = day_left end
end
if ARGV[11] ~= '' and ARGV[12] ~= '' then
  local funds_left = num(ARGV[12]) - num(redis.call('HGET', account_key, 'spent')) - num(redis.call('HGET', account_key, 'reserved'))
  if funds_left < left then left = funds_left end
end
if num(ARGV[7]) > left then return 0 end
redis.call('HINCRBY', total_key, 'reserved', ARGV[7])
redis.call('HINCRBY', day_key, 'reserved', ARGV[7])
redis.call('EXPIRE', day_key, ARGV[9])
if ARGV[11] ~= '' then redis.call('HINCRBY', account_key, 'reserved', ARGV[7]) end
redis.call('HSET', p .. 'r:' .. id, 'campaign', campaign, 'day', day, 'amount', ARGV[7], 'account', ARGV[11])
redis.call('EXPIRE', p .. 'r:' .. id, ARGV[10])
redis.call('ZADD', p .. 'expiry', ARGV[8], id)
return 1
"""

# Spend as the event log records it, after Redis lost its data (or on a first start):
# absolute values, then the marker that lets reservations through again.
# ARGV: prefix, day key lifetime (s), the number of accounts, then account, micros for
# each account, then campaign, day, micros for each campaign-day.
RESTORE = """
local p = ARGV[1]
local first = 4 + 2 * tonumber(ARGV[3])
for i = 4, first - 1, 2 do
  redis.call('HSET', p .. 'a:' .. ARGV[i], 'spent', ARGV[i + 1])
end
local totals = {}
for i = first, #ARGV, 3 do
  local campaign, day, micros = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local day_key = p .. 'b:' .. campaign .. ':' .. day
  redis.call('HSET', day_key, 'spent', micros)
  redis.call('EXPIRE', day_key, ARGV[2])
  totals[campaign] = (totals[campaign] or 0) + tonumber(micros)
end
for campaign, micros in pairs(totals) do
  redis.call('HSET', p .. 'b:' .. campaign, 'spent', string.format('%d', micros))
end
redis.call('SET', p .. 'restored', '1')
return 1
"""

# ARGV: prefix, reservation id ('' for none), campaign, day, total limit, daily limit
# ('' for none), amount, day key lifetime (s), account ('' for none), the account's funds
# ('' for no limit). Returns what was charged.
SETTLE = _DROP + """
local p, id, campaign, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if id ~= '' then drop(p, id) end
local total_key, day_key = p .. 'b:' .. campaign, p .. 'b:' .. campaign .. ':' .. day
local room = num(ARGV[5]) - num(redis.call('HGET', total_key, 'spent'))
if ARGV[6] ~= '' then
  local day_room = num(ARGV[6]) - num(redis.call('HGET', day_key, 'spent'))
  if day_room < room then room = day_room end
end
local account_key = p .. 'a:' .. ARGV[9]
if ARGV[9] ~= '' and ARGV[10] ~= '' then
  local funds_room = num(ARGV[10]) - num(redis.call('HGET', account_key, 'spent'))
  if funds_room < room then room = funds_room end
end
local charged = num(ARGV[7])
if room < charged then charged = room end
if charged < 0 then charged = 0 end
local text = string.format('%d', charged)
redis.call('HINCRBY', total_key, 'spent', text)
redis.call('HINCRBY', day_key, 'spent', text)
if ARGV[9] ~= '' then redis.call('HINCRBY', account_key, 'spent', text) end
redis.call('EXPIRE', day_key, ARGV[8])
return text
"""

# ARGV: prefix, reservation id.
RELEASE = _DROP + """
return drop(ARGV[1], ARGV[2])
"""

# ARGV: prefix, now (epoch seconds), most to release in one call.
RELEASE_EXPIRED = _DROP + """
local due = redis.call('ZRANGEBYSCORE', ARGV[1] .. 'expiry', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local released = 0
for _, id in ipairs(due) do
  released = released + drop(ARGV[1], id)
  redis.call('ZREM', ARGV[1] .. 'expiry', id)
end
return released
"""

# Frequency counts end on the engine's clock (which may be simulated), not Redis's: each
# count's end is a score in a sorted set, swept by `forget_expired_frequency`.
# ARGV: prefix, key, ends at (epoch seconds).
COUNT_FREQUENCY = """
local name = ARGV[1] .. 'f:' .. ARGV[2]
local count = redis.call('INCR', name)
redis.call('ZADD', ARGV[1] .. 'f-ends', ARGV[3], ARGV[2])
return count
"""

# ARGV: prefix, now (epoch seconds), most to forget in one call.
FORGET_FREQUENCY = """
local ended = redis.call('ZRANGEBYSCORE', ARGV[1] .. 'f-ends', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, key in ipairs(ended) do
  redis.call('DEL', ARGV[1] .. 'f:' .. key)
  redis.call('ZREM', ARGV[1] .. 'f-ends', key)
end
return #ended
"""
