-- claim: one call, one round trip. Layout and record format: README, section "redis".
-- KEYS[1]  the record's key (a hash)
-- ARGV[1]  the request's fingerprint ('' for none)
-- ARGV[2]  the new owner token
-- ARGV[3]  the lease in milliseconds, a positive integer
-- Returns {'A', fence} acquired, {'C', result} completed, {'P', pttl} in progress,
-- {'M'} fingerprint mismatch. An expired record is gone (Redis expiry), so it is acquired.
-- The fencing token of an acquired claim is Redis's clock in microseconds (TIME): the record of
-- an earlier owner may be gone (expired, released), so no counter kept in it could order them.
-- The result comes with the first read, so a replay is one command, not two.
local rec = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'result')
local state = rec[1]
if not state then
  redis.call('HSET', KEYS[1], 'state', 'p', 'fingerprint', ARGV[1], 'token', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  local now = redis.call('TIME')
  return {'A', tonumber(now[1]) * 1000000 + tonumber(now[2])}
end
if rec[2] ~= ARGV[1] then
  return {'M'}
end
if state == 'c' then
  return {'C', rec[3]}
end
return {'P', redis.call('PTTL', KEYS[1])}
