#include "store/index.h"

namespace oauth::store {

void index_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
               int64_t exp, int64_t now, int64_t ttl) {
    std::string t = std::to_string(ttl);
    out.push_back({"ZADD", key, std::to_string(exp), std::string(member)});
    out.push_back({"ZREMRANGEBYSCORE", key, "-inf", std::to_string(now)});
    out.push_back({"EXPIRE", key, t, "NX"});
    out.push_back({"EXPIRE", key, t, "GT"});
}

}  // namespace oauth::store
