#include "oauth/device/user_code_limit.h"

#include "store/cas.h"
#include "store/reply.h"

namespace oauth::device {

std::string wrong_code_key(const store::Keys& keys, std::string_view sub) {
    // sub is a base64url id (no ':'), so this family collides with no other.
    return keys.prefix() + "devtry:" + std::string(sub);
}

const store::Script& user_code_try_script() {
    // A count that is not a number (written by hand, corrupt) counts as past
    // the limit: fail closed.
    static const store::Script s(R"lua(
local raw = redis.call('GET', KEYS[1])
if raw and (not tonumber(raw) or tonumber(raw) >= tonumber(ARGV[1])) then
  return {'limited'}
end
redis.call('SET', KEYS[1], '0', 'EX', ARGV[2], 'NX')
redis.call('INCR', KEYS[1])
return {'counted'}
)lua");
    return s;
}

namespace {

const store::Script& give_back_script() {
    static const store::Script s(R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if n > 0 then redis.call('DECR', KEYS[1]) end
return 1
)lua");
    return s;
}

}  // namespace

std::vector<flow::Command> user_code_try(const store::Keys& keys, std::string_view sub,
                                         std::string_view code) {
    return {user_code_try_script().call({wrong_code_key(keys, sub)},
                                        {std::to_string(kWrongCodeLimit), std::to_string(kWrongCodeWindow)}),
            {"GET", keys.user_code(code)}};
}

flow::Command user_code_give_back(const store::Keys& keys, std::string_view sub) {
    return store::as_eval(give_back_script().call({wrong_code_key(keys, sub)}, {})).value();
}

UserCodeTry read_user_code_try(const redisReply* count, const redisReply* lookup) {
    UserCodeTry out;
    auto items = store::string_array(count);
    if (!items || items->size() != 1) return out;
    if ((*items)[0] == "limited") {
        out.result = TryResult::Limited;
        return out;
    }
    if ((*items)[0] != "counted" || !lookup) return out;
    if (lookup->type == REDIS_REPLY_NIL) {
        out.result = TryResult::Wrong;
    } else if (auto hash = store::as_string(lookup); hash && !hash->empty()) {
        out.result = TryResult::Found;
        out.hash = std::string(*hash);
    }
    return out;
}

}  // namespace oauth::device
