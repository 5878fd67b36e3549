#include "store/cas.h"

#include "store/reply.h"

namespace oauth::store {

const Script& cas_script() {
    // PTTL + SET PX rather than KEEPTTL: works on Redis before 6.0 too.
    static const Script s(R"lua(
local cur = redis.call('GET', KEYS[1])
if not cur then return {'none'} end
if cur ~= ARGV[1] then return {'changed', cur} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return {'ok'}
)lua");
    return s;
}

flow::Command cas(std::string_view key, std::string_view expected, std::string_view updated) {
    return cas_script().call({std::string(key)}, {std::string(expected), std::string(updated)});
}

std::optional<std::vector<std::string_view>> string_array(const redisReply* reply) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return std::nullopt;
    std::vector<std::string_view> out;
    for (size_t i = 0; i < reply->elements; i++) {
        auto s = as_string(reply->element[i]);
        if (!s) return std::nullopt;
        out.push_back(*s);
    }
    return out;
}

CasReply read_cas(const redisReply* reply) {
    CasReply out;
    auto items = string_array(reply);
    if (!items || items->empty()) return out;
    if ((*items)[0] == "ok") out.result = CasResult::Ok;
    else if ((*items)[0] == "none") out.result = CasResult::Gone;
    else if ((*items)[0] == "changed" && items->size() == 2) {
        out.result = CasResult::Changed;
        out.current = (*items)[1];
    }
    return out;
}

}  // namespace oauth::store
