#include "oauth/users/login_limit.h"

#include <algorithm>

namespace oauth::login_limit {

const store::Script& reserve_script() {
    // A counter without a TTL (written by hand, or a PEXPIRE lost) would
    // refuse forever: it gets the window.
    static const store::Script s(R"lua(
local window, wait = tonumber(ARGV[1]), 0
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if n >= tonumber(ARGV[i + 1]) then
    local t = redis.call('PTTL', KEYS[i])
    if t < 0 then redis.call('PEXPIRE', KEYS[i], window); t = window end
    if t > wait then wait = t end
  end
end
if wait > 0 then return {0, wait} end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], window) end
end
return {1, 0}
)lua");
    return s;
}

const store::Script& release_script() {
    static const store::Script s(R"lua(
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if n > 0 then redis.call('DECR', KEYS[i]) end
end
return 1
)lua");
    return s;
}

Attempt::Attempt(const flow::LoginLimit& limit, const store::Keys& keys, std::string_view username,
                 std::string_view address)
    : limit_(limit) {
    keys_.push_back(keys.login_failures_user(username));
    limits_.push_back(std::to_string(limit.per_user));
    // No address (a glue that could not tell, unit tests): the user name
    // alone is counted.
    if (limit.per_address > 0 && !address.empty()) {
        keys_.push_back(keys.login_failures_address(address));
        limits_.push_back(std::to_string(limit.per_address));
    }
}

flow::Command Attempt::reserve(size_t i) const {
    return reserve_script().call({keys_.at(i)}, {std::to_string(limit_.window * 1000), limits_.at(i)});
}

std::vector<flow::Command> Attempt::release(size_t counted) const {
    std::vector<flow::Command> out;
    for (size_t i = 0; i < counted && i < keys_.size(); ++i)
        out.push_back(store::as_eval(release_script().call({keys_[i]}, {})).value());
    return out;
}

std::optional<Attempt::Verdict> Attempt::parse(const redisReply* r) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return std::nullopt;
    const redisReply* ok = r->element[0];
    const redisReply* ms = r->element[1];
    if (!ok || !ms || ok->type != REDIS_REPLY_INTEGER || ms->type != REDIS_REPLY_INTEGER)
        return std::nullopt;
    if (ok->integer == 1) return Verdict{true, 0};
    if (ok->integer != 0 || ms->integer < 0) return std::nullopt;
    // Whole seconds, rounded up: Retry-After must not invite an early retry.
    // The bound keeps a hostile reply from overflowing.
    int64_t wait = std::min<int64_t>(ms->integer, int64_t{1} << 40);
    return Verdict{false, std::max<int64_t>(1, (wait + 999) / 1000)};
}

}  // namespace oauth::login_limit
