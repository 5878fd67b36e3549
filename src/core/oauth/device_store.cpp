#include "oauth/device_store.h"

#include "store/cas.h"

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
local hash = redis.call('GET', KEYS[2])
if hash then return {'found', hash} end
redis.call('SET', KEYS[1], '0', 'EX', ARGV[2], 'NX')
redis.call('INCR', KEYS[1])
return {'wrong'}
)lua");
    return s;
}

flow::Command user_code_try(const store::Keys& keys, std::string_view sub, std::string_view code) {
    return user_code_try_script().call(
        {wrong_code_key(keys, sub), keys.user_code(code)},
        {std::to_string(kWrongCodeLimit), std::to_string(kWrongCodeWindow)});
}

UserCodeTry read_user_code_try(const redisReply* reply) {
    UserCodeTry out;
    auto items = store::string_array(reply);
    if (!items || items->empty()) return out;
    std::string_view status = (*items)[0];
    if (status == "limited" && items->size() == 1) out.result = TryResult::Limited;
    else if (status == "wrong" && items->size() == 1) out.result = TryResult::Wrong;
    else if (status == "found" && items->size() == 2 && !(*items)[1].empty()) {
        out.result = TryResult::Found;
        out.hash = std::string((*items)[1]);
    }
    return out;
}

}  // namespace oauth::device
