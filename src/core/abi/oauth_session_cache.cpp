// The extern "C" entry points of include/oauth_session_cache.h; each one is
// noexcept and turns a surprise into a failed link (which empties the cache).
#include <cstring>
#include <memory>
#include <string>

#include "abi/session_cache_handle.h"

using oauth::require::InvalidationLink;
using oauth::require::SessionCache;

namespace {

std::string str(oauth_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }
oauth_str_t view(std::string_view s) { return {s.data(), s.size()}; }

void put(const InvalidationLink::Step& in, oauth_session_cache_step_t* out) {
    std::memset(out, 0, sizeof(*out));
    switch (in.action) {
    case InvalidationLink::Step::Wait: out->action = OAUTH_SESSION_CACHE_WAIT; break;
    case InvalidationLink::Step::Send: out->action = OAUTH_SESSION_CACHE_SEND; break;
    case InvalidationLink::Step::Ready: out->action = OAUTH_SESSION_CACHE_READY; break;
    case InvalidationLink::Step::Fail: out->action = OAUTH_SESSION_CACHE_FAIL; break;
    }
    out->commands = view(in.commands);
    out->note = view(in.note);
}

void failed(oauth_session_cache_t* c, oauth_session_cache_step_t* step) noexcept {
    static constexpr char kNote[] = "internal error";
    std::memset(step, 0, sizeof(*step));
    step->action = OAUTH_SESSION_CACHE_FAIL;
    step->note = {kNote, sizeof(kNote) - 1};
    try {
        if (c) c->link.lost();
    } catch (...) {
    }
}

}  // namespace

extern "C" {

oauth_session_cache_t* oauth_session_cache_new(size_t capacity, oauth_str_t prefix, oauth_str_t username,
                                               oauth_str_t password) noexcept {
    try {
        std::string pw = str(password);
        auto* c = new oauth_session_cache_s{
            InvalidationLink(SessionCache::make(capacity), str(prefix), str(username), std::move(pw))};
        return c;
    } catch (...) {
        return nullptr;
    }
}

void oauth_session_cache_free(oauth_session_cache_t* c) noexcept { delete c; }

void oauth_session_cache_link_start(oauth_session_cache_t* c, oauth_session_cache_step_t* step) noexcept {
    if (!step) return;
    try {
        if (!c) return failed(c, step);
        put(c->link.start(), step);
    } catch (...) {
        failed(c, step);
    }
}

void oauth_session_cache_link_reply(oauth_session_cache_t* c, const oauth_redis_reply_t* reply,
                                    oauth_session_cache_step_t* step) noexcept {
    if (!step) return;
    try {
        if (!c) return failed(c, step);
        put(c->link.reply(reply), step);
    } catch (...) {
        failed(c, step);
    }
}

oauth_str_t oauth_session_cache_link_ping(oauth_session_cache_t* c) noexcept {
    if (!c) return {nullptr, 0};
    return view(c->link.ping());
}

int oauth_session_cache_link_ping_unanswered(const oauth_session_cache_t* c) noexcept {
    return c && c->link.ping_unanswered() ? 1 : 0;
}

void oauth_session_cache_link_lost(oauth_session_cache_t* c) noexcept {
    try {
        if (c) c->link.lost();
    } catch (...) {
    }
}

int oauth_session_cache_ready(const oauth_session_cache_t* c) noexcept { return c && c->link.ready() ? 1 : 0; }

size_t oauth_session_cache_size(const oauth_session_cache_t* c) noexcept {
    return c ? const_cast<oauth_session_cache_t*>(c)->link.cache().size() : 0;
}

}  // extern "C"
