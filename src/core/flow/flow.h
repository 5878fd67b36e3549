// The step protocol on the C++ side: a Flow is one request to one endpoint;
// each call returns the next Step (run Redis commands, offload CPU work to a
// thread, or respond). See include/oauth_core.h for the glue's view.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "flow/event.h"
#include "flow/server.h"
#include "http/response.h"

namespace oauth::flow {

struct Request {
    std::string method;
    std::string path;
    std::string query;
    std::string content_type;
    std::string body;
    std::string authorization;
    std::string cookie;
    // The client's address as the brute-force limits count it (text; an
    // IPv6 client as its /64); empty when unknown.
    std::string client_address;
    bool duplicate_authorization = false;
    // The body was past the glue's limit (oauth_max_body_size) and was not
    // read: every endpoint that reads a body refuses in its own format.
    bool body_too_large = false;
    int64_t now = 0;
    // The location's oauth_leeway and oauth_realm, for the endpoints that
    // take a Bearer token themselves (userinfo, login_accept).
    int64_t leeway = 30;
    std::string realm = "api";
    // RFC 9449 §4.1: the DPoP proof header (the first one) and how many the
    // request had (more than one is refused, §4.3).
    std::string dpop;
    int dpop_count = 0;
    // oauth_dpop_nonce: the nonce lifetime in seconds, 0 when off (§8, §9).
    int64_t dpop_nonce_lifetime = 0;
};

using Command = std::vector<std::string>;  // one Redis command's argv

struct Step {
    enum class Kind { Respond, Redis, Offload };
    Kind kind = Kind::Respond;
    std::vector<Command> commands;  // Kind::Redis
    http::Response response;        // Kind::Respond
    std::string log_reason;         // why, for the info log; never a secret
    std::vector<Event> events;      // what happened, for metrics and audit

    Step& event(Event e) {
        events.push_back(std::move(e));
        return *this;
    }

    static Step respond(http::Response r, std::string reason = {}) {
        Step s;
        s.response = std::move(r);
        s.log_reason = std::move(reason);
        return s;
    }
    static Step redis(std::vector<Command> cmds) {
        Step s;
        s.kind = Kind::Redis;
        s.commands = std::move(cmds);
        return s;
    }
    static Step offload() {
        Step s;
        s.kind = Kind::Offload;
        return s;
    }
};

using Replies = std::span<const redisReply* const>;

class Flow {
public:
    Flow(const ServerConfig& server, Request request)
        : server_(server), request_(std::move(request)) {}
    virtual ~Flow() = default;
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    virtual Step start() = 0;
    // Called with exactly as many replies as the last Redis step had commands.
    virtual Step on_redis(Replies replies);
    // Runs on a thread-pool thread: CPU work only, touches nothing shared.
    virtual void offload() {}
    virtual Step on_offload();
    // The glue did not run the offload: this worker has as many KDF runs in
    // flight and waiting as it allows. The default answers 503
    // temporarily_unavailable with Retry-After.
    virtual Step on_busy();
    // Adds the events a step stands for (the token endpoint's issued and
    // error counts); called on every step the flow returns.
    virtual void annotate(Step&) {}

protected:
    const ServerConfig& server_;
    Request request_;
};

// A flow for the endpoint, or nullptr when no flow serves it.
std::unique_ptr<Flow> make_flow(oauth_endpoint_e endpoint, const ServerConfig& server,
                                Request request);


}  // namespace oauth::flow
