// The invalidation link of the edge session cache (SPEC §8): what a worker
// says to Redis on its own connection, and what Redis's answers mean for the
// worker's SessionCache. No socket: the glue
// (src/nginx/ngx_http_oauth_session_cache.c) sends the bytes a Step names
// and hands every reply back, in order.
//
// The conversation (RESP2, which is what hiredis 0.14 speaks):
//   [AUTH [user] password]  CLIENT ID  INFO server     (one write)
//   CLIENT TRACKING on REDIRECT <our id> BCAST PREFIX <prefix>at:
//   SUBSCRIBE __redis__:invalidate                     (second write)
// then, forever, "message" pushes on __redis__:invalidate naming changed
// session keys (BCAST: every change of a key under P at:, from any client,
// script, expiry or eviction), or a nil payload after FLUSHALL/FLUSHDB; and
// the pongs of the glue's heartbeat PINGs. BCAST redirected to the link
// itself needs nothing of the connections that read sessions (the driver is
// untouched); README "Edge session cache" has the measurement that chose it
// over default tracking.
//
// Safety: the cache is emptied when a link starts and when it is lost, and
// ready() is true only once the SUBSCRIBE is confirmed (then every change
// made after any EXISTS the edge sends from now on will reach us). Any
// reply that is not understood fails the link (the glue closes it, which
// empties the cache), rather than guess.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "require/session_cache.h"
#include "store/keys.h"

namespace oauth::require {

class InvalidationLink {
public:
    struct Step {
        enum Action {
            Wait,   // read on
            Send,   // write `commands` (then read on)
            Ready,  // tracking confirmed: the cache may be used
            Fail,   // close the connection; `note` says why
        } action = Wait;
        std::string_view commands;
        std::string_view note;  // for the log: a restart seen, a failure
    };

    InvalidationLink(std::shared_ptr<SessionCache> cache, std::string prefix, std::string username,
                     std::string password);
    ~InvalidationLink();

    // A new connection is open: the cache is emptied and unused until
    // Ready. Returns Send with the first commands.
    Step start();
    // One reply of the connection, in order.
    Step reply(const redisReply* r);
    // The heartbeat (a PING is allowed while subscribed). Empty when the
    // link is not ready or a PING is unanswered already.
    std::string_view ping();
    bool ping_unanswered() const { return pings_ > 0; }
    // The connection is gone: empty the cache, unused until Ready again.
    void lost();

    bool ready() const { return state_ == State::Ready; }
    SessionCache& cache() { return *cache_; }
    const std::shared_ptr<SessionCache>& cache_ptr() const { return cache_; }

    // Counters, for tests and the log.
    uint64_t keys_seen() const { return keys_; }
    uint64_t flushes_seen() const { return flushes_; }
    int64_t client_id() const { return client_id_; }

private:
    enum class State { Closed, Hello, Tracking, Ready };
    Step fail(std::string note);
    Step hello(const redisReply* r);
    Step tracking(const redisReply* r);
    Step message(const redisReply* r);

    std::shared_ptr<SessionCache> cache_;
    store::Keys keys_layout_;
    std::string hello_;     // [AUTH] CLIENT ID INFO server, formatted
    bool auth_ = false;
    std::string track_;     // CLIENT TRACKING ... SUBSCRIBE ...
    std::string note_;
    State state_ = State::Closed;
    size_t step_replies_ = 0;  // replies of the current write seen
    int64_t client_id_ = 0;
    std::string run_id_;    // of the Redis last seen
    unsigned pings_ = 0;
    uint64_t keys_ = 0, flushes_ = 0;
};

// "run_id:<hex>" of an INFO server answer; empty when absent.
std::string_view info_run_id(std::string_view info);

}  // namespace oauth::require
