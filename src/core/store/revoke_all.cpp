#include "store/revoke_all.h"

#include <stdexcept>

#include "store/cas.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::store {

RevokeAll::RevokeAll(const Keys& keys, RevokeAllOf of, std::string_view id)
    : keys_(keys),
      of_(of),
      family_index_(of == RevokeAllOf::Client ? keys.client_index(id) : keys.sub_index(id)),
      other_index_(of == RevokeAllOf::Client ? keys.client_token_index(id) : keys.sso_index(id)) {}

std::vector<flow::Command> RevokeAll::reads() const {
    return {{"ZRANGE", family_index_, "0", "-1"}, {"ZRANGE", other_index_, "0", "-1"}};
}

RevokeAll::Writes RevokeAll::writes(flow::Replies replies) const {
    if (replies.size() != 2) throw std::runtime_error("revoke: two index replies expected");
    auto families = string_array(replies[0]);
    auto others = string_array(replies[1]);
    if (!families || !others) throw std::runtime_error("revoke: unreadable index");
    Writes w;
    for (std::string_view fid : *families)
        w.commands.push_back(family_call(revoke_family_script(), keys_, fid, {}, {""}));
    w.families = w.commands.size();
    for (std::string_view id : *others)
        w.commands.push_back({"DEL", of_ == RevokeAllOf::Client ? keys_.access(id) : keys_.sso(id)});
    w.commands.push_back({"DEL", family_index_});
    w.commands.push_back({"DEL", other_index_});
    return w;
}

int64_t RevokeAll::families_revoked(const Writes& w, flow::Replies replies) {
    int64_t n = 0;
    for (size_t i = 0; i < w.families && i < replies.size(); ++i)
        n += as_integer(replies[i]).value_or(0) == 1 ? 1 : 0;
    return n;
}

}  // namespace oauth::store
