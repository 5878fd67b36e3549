#include "oauth/users/password_check.h"

#include "store/reply.h"
#include "util/crypto.h"
#include "util/password.h"

namespace oauth::password {

Check::Check(const flow::ServerConfig& server, const store::Keys& keys, std::string username,
             std::string password, std::string_view client_address)
    : username_(std::move(username)),
      password_(std::move(password)),
      keys_(keys),
      attempt_(server.login_limit, keys_, username_, client_address) {}

bool Check::within_bounds() const {
    return !username_.empty() && !password_.empty() && username_.size() <= kMaxUsername &&
           password_.size() <= kMaxPassword;
}

std::vector<flow::Command> Check::lookup() const {
    return {{"GET", keys_.user(username_)}, attempt_.reserve(0)};
}

Check::Next Check::looked_up(flow::Replies replies) {
    pending_.clear();
    switch (stage_) {
    case Stage::User: {
        if (replies.size() != 2 || store::is_error(replies[0])) return Next::Unavailable;
        auto verdict = login_limit::Attempt::parse(replies[1]);
        if (!verdict) return Next::Unavailable;
        if (!verdict->allowed) {
            retry_after_ = verdict->retry_after;
            return Next::Limited;
        }
        counted_ = 1;
        if (auto text = store::as_string(replies[0])) user_ = store::parse_user(*text);
        if (attempt_.counters() == 1) return Next::Offload;
        stage_ = Stage::Address;
        pending_ = {attempt_.reserve(1)};
        return Next::Redis;
    }
    case Stage::Address: {
        // Unreadable: 503, the user's reservation stays (counted as a
        // failure until its window ends: fail closed).
        auto verdict = replies.size() == 1 ? login_limit::Attempt::parse(replies[0]) : std::nullopt;
        if (!verdict) return Next::Unavailable;
        if (verdict->allowed) {
            counted_ = 2;
            return Next::Offload;
        }
        retry_after_ = verdict->retry_after;
        stage_ = Stage::GiveBack;
        pending_ = attempt_.release(counted_);
        counted_ = 0;
        return Next::Redis;
    }
    case Stage::GiveBack:
        // refused, given back or not (a failed give-back: one failure too
        // many for the user until the window ends)
        return Next::Limited;
    }
    return Next::Unavailable;
}

void Check::run() {
    const std::string& hash = user_ ? user_->password_hash : util::unmatchable_hash(util::kPasswordCost);
    bool ok = util::verify_secret(password_, hash);
    verified_ = ok && user_.has_value();
}

}  // namespace oauth::password
