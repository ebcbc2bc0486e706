-- complete: one call, one round trip.
-- KEYS[1]  the record's key (a hash)
-- ARGV[1]  the owner token that must hold the claim
-- ARGV[2]  the result bytes (binary-safe)
-- ARGV[3]  the retention in milliseconds, a positive integer
-- Returns 1 if stored, 0 if the token does not hold an in-progress claim (nothing changed).
local rec = redis.call('HMGET', KEYS[1], 'state', 'token')
if rec[1] ~= 'p' or rec[2] ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'c', 'result', ARGV[2])
redis.call('HDEL', KEYS[1], 'token')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
