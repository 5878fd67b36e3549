#include "require/invalidation.h"

#include <cstring>
#include <new>
#include <vector>

#include "store/reply.h"
#include "store/resp.h"

namespace oauth::require {

namespace {

constexpr std::string_view kChannel = "__redis__:invalidate";
constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

bool is_string(const redisReply* r, std::string_view s) {
    auto v = store::as_string(r);
    return v && *v == s;
}

std::string error_text(const redisReply* r) {
    if (r && r->type == REDIS_REPLY_ERROR) return std::string(r->str, r->len);
    return "an unexpected reply";
}

}  // namespace

std::string_view info_run_id(std::string_view info) {
    constexpr std::string_view key = "run_id:";
    size_t at = 0;
    while (at < info.size()) {
        size_t eol = info.find('\n', at);
        std::string_view line = info.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (line.starts_with(key)) return line.substr(key.size());
        if (eol == std::string_view::npos) break;
        at = eol + 1;
    }
    return {};
}

InvalidationLink::InvalidationLink(std::shared_ptr<SessionCache> cache, std::string prefix,
                                   std::string username, std::string password)
    : cache_(std::move(cache)), keys_layout_(std::move(prefix)) {
    if (!password.empty()) {
        if (username.empty())
            store::append_resp(hello_, {"AUTH", password});
        else
            store::append_resp(hello_, {"AUTH", username, password});
        auth_ = true;
        std::memset(password.data(), 0, password.size());
    }
    store::append_resp(hello_, {"CLIENT", "ID"});
    store::append_resp(hello_, {"INFO", "server"});
}

InvalidationLink::~InvalidationLink() {
    std::memset(hello_.data(), 0, hello_.size());
}

InvalidationLink::Step InvalidationLink::start() {
    cache_->clear();
    state_ = State::Hello;
    step_replies_ = 0;
    pings_ = 0;
    client_id_ = 0;
    return Step{Step::Send, hello_, {}};
}

void InvalidationLink::lost() {
    cache_->clear();
    state_ = State::Closed;
    pings_ = 0;
}

InvalidationLink::Step InvalidationLink::fail(std::string note) {
    lost();
    note_ = std::move(note);
    return Step{Step::Fail, {}, note_};
}

std::string_view InvalidationLink::ping() {
    if (state_ != State::Ready || pings_ > 0) return {};
    pings_++;
    return kPing;
}

InvalidationLink::Step InvalidationLink::reply(const redisReply* r) {
    switch (state_) {
    case State::Hello: return hello(r);
    case State::Tracking: return tracking(r);
    case State::Ready: return message(r);
    case State::Closed: break;
    }
    return fail("a reply on a closed link");
}

InvalidationLink::Step InvalidationLink::hello(const redisReply* r) {
    size_t i = step_replies_++;
    if (auth_ && i == 0) {
        if (!is_string(r, "OK")) return fail("AUTH refused: " + error_text(r));
        return Step{};
    }
    if (i == (auth_ ? 1u : 0u)) {
        auto id = store::as_integer(r);
        if (!id) return fail("CLIENT ID failed: " + error_text(r));
        client_id_ = *id;
        return Step{};
    }
    auto info = store::as_string(r);
    if (!info) return fail("INFO server failed: " + error_text(r));
    std::string_view run_id = info_run_id(*info);
    note_.clear();
    if (!run_id_.empty() && run_id != run_id_) note_ = "Redis restarted (a new run_id)";
    run_id_.assign(run_id);

    track_.clear();
    std::string id = std::to_string(client_id_);
    std::string prefix = keys_layout_.prefix() + "at:";
    store::append_resp(track_, {"CLIENT", "TRACKING", "on", "REDIRECT", id, "BCAST", "PREFIX", prefix});
    store::append_resp(track_, {"SUBSCRIBE", kChannel});
    state_ = State::Tracking;
    step_replies_ = 0;
    return Step{Step::Send, track_, note_};
}

InvalidationLink::Step InvalidationLink::tracking(const redisReply* r) {
    size_t i = step_replies_++;
    if (i == 0) {
        if (!is_string(r, "OK")) return fail("CLIENT TRACKING refused (Redis 6 or later is needed): " + error_text(r));
        return Step{};
    }
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is_string(r->element[0], "subscribe") &&
        is_string(r->element[1], kChannel)) {
        state_ = State::Ready;
        return Step{Step::Ready, {}, {}};
    }
    return fail("SUBSCRIBE failed: " + error_text(r));
}

InvalidationLink::Step InvalidationLink::message(const redisReply* r) {
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && is_string(r->element[0], "pong")) {
        if (pings_ > 0) pings_--;
        return Step{};
    }
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !is_string(r->element[0], "message") ||
        !is_string(r->element[1], kChannel))
        return fail("an unexpected message: " + error_text(r));
    const redisReply* payload = r->element[2];
    if (store::is_nil(payload)) {
        // FLUSHALL / FLUSHDB: every key may be gone
        flushes_++;
        cache_->clear();
        return Step{};
    }
    if (!payload || payload->type != REDIS_REPLY_ARRAY) return fail("an unexpected invalidation payload");
    for (size_t i = 0; i < payload->elements; i++) {
        auto key = store::as_string(payload->element[i]);
        if (!key) return fail("an unexpected invalidation key");
        keys_++;
        if (auto jti = keys_layout_.jti_of_access(*key)) cache_->invalidate(*jti);
    }
    return Step{};
}

}  // namespace oauth::require
