#include "store/scripts.h"

namespace oauth::store {

namespace {

// Shared Lua, prepended to every script but CONSUME. revoke_family: old
// rotated refresh keys are left to expire: they point to a family that no
// longer exists, which reads as "none".
constexpr const char* kPrelude = R"lua(
local function revoke_family(p, fid)
  local fk = p .. 'fam:' .. fid
  local f = redis.call('HMGET', fk, 'client_id', 'sub', 'rt')
  local jtis = redis.call('ZRANGE', fk .. ':at', 0, -1)
  for _, j in ipairs(jtis) do redis.call('DEL', p .. 'at:' .. j) end
  if f[3] and f[3] ~= '' then redis.call('DEL', p .. 'rt:' .. f[3]) end
  local existed = redis.call('DEL', fk)
  redis.call('DEL', fk .. ':at')
  if f[1] then redis.call('ZREM', p .. 'idx:client:' .. f[1], fid) end
  if f[2] then redis.call('ZREM', p .. 'idx:sub:' .. f[2], fid) end
  return existed
end
-- The family a refresh token (by hash) names, and its record; nil when the
-- token is unknown or its record names none.
local function refresh_family(p, h)
  local rec = redis.call('GET', p .. 'rt:' .. h)
  if not rec then return nil end
  local fid = cjson.decode(rec)['fam']
  if type(fid) ~= 'string' then return nil end
  return fid, rec
end
-- An access token's session (SPEC §3), listed in its family so revoking the
-- family reaches it; the list drops tokens already ended.
local function add_access(p, fk, jti, sess, attl, now)
  redis.call('SET', p .. 'at:' .. jti, sess, 'EX', attl)
  redis.call('ZADD', fk .. ':at', now + attl, jti)
  redis.call('ZREMRANGEBYSCORE', fk .. ':at', '-inf', now)
end
-- Adds member with score exp to an index, drops ended members, and keeps the
-- index alive at least as long as its newest member.
local function index_add(k, member, exp, now, ttl)
  redis.call('ZADD', k, exp, member)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  if redis.call('TTL', k) < ttl then redis.call('EXPIRE', k, ttl) end
end
)lua";

std::string with_prelude(const char* body) { return std::string(kPrelude) + body; }

}  // namespace

const Script& issue_script() {
    static const Script s(with_prelude(R"lua(
local p, fid, now, fttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local jti, sess, attl = ARGV[5], ARGV[6], tonumber(ARGV[7])
local rth, rtrec = ARGV[8], ARGV[9]
local fk = p .. 'fam:' .. fid
if redis.call('EXISTS', fk) == 1 then return redis.error_reply('ERR family exists') end
local fields, client, sub = {}, nil, nil
for i = 10, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'client_id' then client = ARGV[i + 1] end
  if ARGV[i] == 'sub' then sub = ARGV[i + 1] end
end
redis.call('HSET', fk, 'rt', rth, 'iat', now, unpack(fields))
redis.call('EXPIRE', fk, fttl)
add_access(p, fk, jti, sess, attl, now)
redis.call('EXPIRE', fk .. ':at', fttl)
if rth ~= '' then redis.call('SET', p .. 'rt:' .. rth, rtrec, 'EX', fttl) end
if client then index_add(p .. 'idx:client:' .. client, fid, now + fttl, now, fttl) end
if sub then index_add(p .. 'idx:sub:' .. sub, fid, now + fttl, now, fttl) end
return 'ok'
)lua"));
    return s;
}

const Script& refresh_lookup_script() {
    static const Script s(with_prelude(R"lua(
local p, h, revoke = ARGV[1], ARGV[2], ARGV[3]
local fid, rec = refresh_family(p, h)
if not fid then return {'none'} end
local fk = p .. 'fam:' .. fid
local cur = redis.call('HGET', fk, 'rt')
if not cur then return {'none'} end
if cur ~= h then
  if revoke == '1' then revoke_family(p, fid) end
  return {'reused', fid}
end
local out = {'ok', fid, rec}
for _, v in ipairs(redis.call('HGETALL', fk)) do out[#out + 1] = v end
return out
)lua"));
    return s;
}

const Script& rotate_script() {
    static const Script s(with_prelude(R"lua(
local p, fid, old, new, rec = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jti, sess, attl, now = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local fk = p .. 'fam:' .. fid
local cur = redis.call('HGET', fk, 'rt')
if not cur then return 'gone' end
if cur ~= old then
  revoke_family(p, fid)
  return 'reused'
end
local ttl = redis.call('TTL', fk)
if ttl <= 0 then return 'gone' end
if attl > ttl then attl = ttl end
redis.call('HSET', fk, 'rt', new)
redis.call('SET', p .. 'rt:' .. new, rec, 'EX', ttl)
add_access(p, fk, jti, sess, attl, now)
return 'ok'
)lua"));
    return s;
}

const Script& revoke_family_script() {
    static const Script s(with_prelude(R"lua(
local p, fid, owner = ARGV[1], ARGV[2], ARGV[3]
if owner ~= '' and redis.call('HGET', p .. 'fam:' .. fid, 'client_id') ~= owner then return 0 end
return revoke_family(p, fid)
)lua"));
    return s;
}

const Script& revoke_refresh_script() {
    static const Script s(with_prelude(R"lua(
local p, h, client = ARGV[1], ARGV[2], ARGV[3]
local fid = refresh_family(p, h)
if not fid then return 0 end
if redis.call('HGET', p .. 'fam:' .. fid, 'client_id') ~= client then return 0 end
return revoke_family(p, fid)
)lua"));
    return s;
}

const Script& revoke_access_script() {
    static const Script s(with_prelude(R"lua(
local p, jti, client = ARGV[1], ARGV[2], ARGV[3]
local k = p .. 'at:' .. jti
local rec = redis.call('GET', k)
if not rec then return 0 end
local sess = cjson.decode(rec)
if client ~= '' and sess['client_id'] ~= client then return 0 end
redis.call('DEL', k)
if type(sess['fam']) == 'string' then
  redis.call('ZREM', p .. 'fam:' .. sess['fam'] .. ':at', jti)
end
return 1
)lua"));
    return s;
}

const Script& revoke_all_script() {
    static const Script s(with_prelude(R"lua(
local p, kind, id = ARGV[1], ARGV[2], ARGV[3]
local idx = p .. 'idx:' .. kind .. ':' .. id
local n = 0
for _, fid in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  n = n + revoke_family(p, fid)
end
redis.call('DEL', idx)
if kind == 'sub' then
  local sidx = p .. 'idx:sso:' .. id
  for _, sid in ipairs(redis.call('ZRANGE', sidx, 0, -1)) do
    redis.call('DEL', p .. 'sso:' .. sid)
  end
  redis.call('DEL', sidx)
end
return n
)lua"));
    return s;
}

const Script& consume_script() {
    static const Script s(R"lua(
local k, marker, keep = ARGV[1], ARGV[2], tonumber(ARGV[3])
local v = redis.call('GET', k)
if not v then return {'none'} end
if string.sub(v, 1, 5) == 'used:' then return {'used', string.sub(v, 6)} end
if keep <= 0 then
  keep = redis.call('TTL', k)
  if keep <= 0 then keep = 60 end
end
redis.call('SET', k, 'used:' .. marker, 'EX', keep)
return {'ok', v}
)lua");
    return s;
}

}  // namespace oauth::store
