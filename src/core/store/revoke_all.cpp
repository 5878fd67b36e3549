#include "store/revoke_all.h"

#include <stdexcept>

#include "store/cas.h"
#include "store/index.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::store {

RevokeAll::RevokeAll(const Keys& keys, RevokeAllOf of, std::string_view id, int64_t now)
    : keys_(keys),
      of_(of),
      family_index_(of == RevokeAllOf::Client ? keys.client_index(id) : keys.sub_index(id)),
      other_index_(of == RevokeAllOf::Client ? keys.client_token_index(id) : keys.sso_index(id)) {
    if (of != RevokeAllOf::Client) return;
    for (const TokenBucket& b : live_buckets(now))
        buckets_.push_back(keys.client_token_bucket(id, b.width, b.number));
}

std::vector<flow::Command> RevokeAll::reads() const {
    std::vector<flow::Command> out = {{"ZRANGE", family_index_, "0", "-1"},
                                      {"ZRANGE", other_index_, "0", "-1"}};
    out.reserve(2 + buckets_.size());
    for (const auto& b : buckets_) out.push_back({"SMEMBERS", b});
    return out;
}

RevokeAll::Writes RevokeAll::writes(flow::Replies replies) const {
    if (replies.size() != 2 + buckets_.size()) throw std::runtime_error("revoke: index replies missing");
    std::vector<std::vector<std::string_view>> lists;
    for (const redisReply* r : replies) {
        auto items = string_array(r);
        if (!items) throw std::runtime_error("revoke: unreadable index");
        lists.push_back(std::move(*items));
    }
    Writes w;
    for (std::string_view fid : lists[0])
        w.commands.push_back(family_call(revoke_family_script(), keys_, fid, {}, {""}));
    w.families = w.commands.size();
    for (size_t i = 1; i < lists.size(); ++i)
        for (std::string_view id : lists[i])
            w.commands.push_back({"DEL", of_ == RevokeAllOf::Client ? keys_.access(id) : keys_.sso(id)});
    w.commands.push_back({"DEL", family_index_});
    w.commands.push_back({"DEL", other_index_});
    for (size_t i = 0; i < buckets_.size(); ++i) {
        const auto& members = lists[2 + i];
        if (members.empty()) continue;
        flow::Command srem = {"SREM", buckets_[i]};
        srem.insert(srem.end(), members.begin(), members.end());
        w.commands.push_back(std::move(srem));
    }
    return w;
}

int64_t RevokeAll::families_revoked(const Writes& w, flow::Replies replies) {
    int64_t n = 0;
    for (size_t i = 0; i < w.families && i < replies.size(); ++i)
        n += as_integer(replies[i]).value_or(0) == 1 ? 1 : 0;
    return n;
}

}  // namespace oauth::store
