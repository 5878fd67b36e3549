#include "store/scripts.h"

namespace oauth::store {

namespace {

// Shared Lua, prepended to every family script. KEYS[1], KEYS[2], ARGV[1] and
// ARGV[2] are the family's keys and prefixes (scripts.h). revoke_family: old
// rotated refresh keys are left to expire: they point to a family that no
// longer exists, which reads as "none". Index entries are left too: they are
// in other slots, and an entry without its family revokes nothing.
constexpr const char* kPrelude = R"lua(
local fk, tk, atp, rtp = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local function revoke_family()
  local rt = redis.call('HGET', fk, 'rt')
  for _, r in ipairs(redis.call('ZRANGE', tk, 0, -1)) do redis.call('DEL', atp .. r) end
  if rt and rt ~= '' then redis.call('DEL', rtp .. rt) end
  local existed = redis.call('DEL', fk)
  redis.call('DEL', tk)
  return existed
end
-- The family a refresh token's record names, when it is this family.
local function refresh_record(rk, fid)
  local rec = redis.call('GET', rk)
  if not rec then return nil end
  if cjson.decode(rec)['fam'] ~= fid then return nil end
  return rec
end
-- An access token's session (SPEC §3), listed in its family so revoking the
-- family reaches it; the list drops tokens already ended.
local function add_access(r, sess, attl, now)
  redis.call('SET', atp .. r, sess, 'EX', attl)
  redis.call('ZADD', tk, now + attl, r)
  redis.call('ZREMRANGEBYSCORE', tk, '-inf', now)
end
)lua";

std::string with_prelude(const char* body) { return std::string(kPrelude) + body; }

}  // namespace

flow::Command family_call(const Script& script, const Keys& keys, std::string_view fid,
                          const std::vector<std::string>& more_keys,
                          const std::vector<std::string>& more_args) {
    std::vector<std::string> k{keys.family(fid), keys.family_tokens(fid)};
    k.insert(k.end(), more_keys.begin(), more_keys.end());
    std::vector<std::string> a{keys.family_access_prefix(fid), keys.family_refresh_prefix(fid)};
    a.insert(a.end(), more_args.begin(), more_args.end());
    return script.call(k, a);
}

const Script& issue_script() {
    static const Script s(with_prelude(R"lua(
local now, fttl, r, sess = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local attl, rth, rtrec = tonumber(ARGV[7]), ARGV[8], ARGV[9]
if redis.call('EXISTS', fk) == 1 then return redis.error_reply('ERR family exists') end
local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', fk, 'rt', rth, 'iat', now, unpack(fields))
redis.call('EXPIRE', fk, fttl)
add_access(r, sess, attl, now)
redis.call('EXPIRE', tk, fttl)
if rth ~= '' then redis.call('SET', rtp .. rth, rtrec, 'EX', fttl) end
return 'ok'
)lua"));
    return s;
}

const Script& refresh_lookup_script() {
    static const Script s(with_prelude(R"lua(
local rk, fid, revoke = KEYS[3], ARGV[3], ARGV[4]
local rec = refresh_record(rk, fid)
if not rec then return {'none'} end
local cur = redis.call('HGET', fk, 'rt')
if not cur then return {'none'} end
if rtp .. cur ~= rk then
  if revoke == '1' then revoke_family() end
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
local old, new, rec = ARGV[3], ARGV[4], ARGV[5]
local r, sess, attl, now = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local cur = redis.call('HGET', fk, 'rt')
if not cur then return 'gone' end
if cur ~= old then
  revoke_family()
  return 'reused'
end
local ttl = redis.call('TTL', fk)
if ttl <= 0 then return 'gone' end
if attl > ttl then attl = ttl end
redis.call('HSET', fk, 'rt', new)
redis.call('SET', rtp .. new, rec, 'EX', ttl)
add_access(r, sess, attl, now)
return 'ok'
)lua"));
    return s;
}

const Script& revoke_family_script() {
    static const Script s(with_prelude(R"lua(
local owner = ARGV[3]
if owner ~= '' and redis.call('HGET', fk, 'client_id') ~= owner then return 0 end
return revoke_family()
)lua"));
    return s;
}

const Script& revoke_refresh_script() {
    static const Script s(with_prelude(R"lua(
local rk, fid, client = KEYS[3], ARGV[3], ARGV[4]
if not refresh_record(rk, fid) then return 0 end
if redis.call('HGET', fk, 'client_id') ~= client then return 0 end
return revoke_family()
)lua"));
    return s;
}

const Script& revoke_access_script() {
    // Sessions are compact ({"c":client_id,...}) or, written before the
    // compact form, {"client_id":...}.
    static const Script s(R"lua(
local r, client = ARGV[1], ARGV[2]
local rec = redis.call('GET', KEYS[1])
if not rec then return 0 end
local sess = cjson.decode(rec)
local owner = sess['c'] or sess['client_id']
if client ~= '' and owner ~= client then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], r) end
return 1
)lua");
    return s;
}

flow::Command revoke_access(const Keys& keys, std::string_view jti, std::string_view client_id) {
    std::vector<std::string> k{keys.access(jti)};
    std::string member(jti);
    if (auto fid = Keys::family_of(jti)) {
        k.push_back(keys.family_tokens(*fid));
        member = std::string(jti.substr(fid->size() + 1));
    }
    return revoke_access_script().call(k, {member, std::string(client_id)});
}

const Script& consume_script() {
    static const Script s(R"lua(
local k, marker, keep = KEYS[1], ARGV[1], tonumber(ARGV[2])
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
