#include "oauth/browser/consent_memory.h"

#include "oauth/scopes/scope_string.h"

namespace oauth::authz {

bool consent_covers(std::string_view remembered, std::string_view requested) {
    auto have = scope::parse(remembered);
    auto want = scope::parse(requested);
    if (!have || !want) return false;
    return scope::subset(*want, *have);
}

std::string consent_union(std::string_view remembered, std::string_view requested) {
    auto have = scope::parse(remembered).value_or(std::vector<std::string>{});
    for (auto& s : scope::parse(requested).value_or(std::vector<std::string>{}))
        if (!scope::contains(have, s)) have.push_back(std::move(s));
    return scope::join(have);
}

flow::Command remember_consent(const store::Keys& keys, std::string_view sub,
                               std::string_view client_id, std::string_view scopes, int64_t ttl) {
    flow::Command cmd{"SET", keys.consent(sub, client_id), std::string(scopes)};
    if (ttl > 0) {
        cmd.push_back("EX");
        cmd.push_back(std::to_string(ttl));
    }
    return cmd;
}

}  // namespace oauth::authz
