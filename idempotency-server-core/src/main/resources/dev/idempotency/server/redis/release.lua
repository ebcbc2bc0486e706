-- release: one call, one round trip.
-- KEYS[1]  the record's key (a hash)
-- ARGV[1]  the owner token that must hold the claim
-- Returns 1 if deleted, 0 if the token does not hold an in-progress claim (nothing changed).
local rec = redis.call('HMGET', KEYS[1], 'state', 'token')
if rec[1] ~= 'p' or rec[2] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
