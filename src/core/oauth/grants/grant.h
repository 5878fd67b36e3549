// Grant types of the token endpoint (RFC 6749 §4, §6; RFC 8628 §3.4). The
// token flow (oauth/token.cpp, a ClientAuthenticatedFlow) parses the request,
// authenticates the client, checks that the client may use the grant type,
// then hands over to a Grant found by name in the grant table (grant.cpp). A Grant
// is a small state machine with the Flow protocol; its Redis steps may call
// Lua scripts (NOSCRIPT is handled by the token flow, a store::RedisFlow).
//
// Adding a grant type (authorization_code, device_code):
//   1. implement `std::unique_ptr<Grant> make_xxx_grant(const GrantContext&)`
//      in its own file (class derived from Grant);
//   2. add its declaration and one row in the grant table (grant.cpp):
//      the token endpoint, discovery and oauthctl all read that table.
// Then mint with oauth/issue.h and answer with token::token_response().
#pragma once
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpop/proof.h"
#include "flow/flow.h"
#include "http/form.h"
#include "http/errors.h"
#include "store/keys.h"
#include "store/records.h"

namespace oauth::token {

struct GrantContext {
    const flow::ServerConfig& server;
    const flow::Request& request;  // request.now is the clock
    const http::Form& form;        // the parsed body; no duplicates, not malformed
    const store::Client& client;   // authenticated; allowed this grant type
    const store::Keys& keys;
    // The request's verified DPoP proof (RFC 9449 §5), null without one;
    // its jti is already spent (oauth/dpop_token.h).
    const dpop::Proof* dpop = nullptr;
};

struct Issued;  // oauth/issue.h

class Grant {
public:
    explicit Grant(const GrantContext& ctx) : ctx_(ctx) {}
    virtual ~Grant() = default;
    Grant(const Grant&) = delete;
    Grant& operator=(const Grant&) = delete;

    virtual flow::Step start() = 0;
    virtual flow::Step on_redis(flow::Replies replies);
    virtual void offload() {}
    virtual flow::Step on_offload();
    // The offload was refused (flow::Flow::on_busy): 503
    // temporarily_unavailable with Retry-After.
    virtual flow::Step on_busy();
    // What this grant minted, once it did (for the token_issued event).
    virtual const Issued* issued() const { return nullptr; }

protected:
    GrantContext ctx_;
};

using GrantFactory = std::unique_ptr<Grant> (*)(const GrantContext&);

// One row per supported grant type: the one list the token endpoint
// (find_grant), discovery (grant_types_supported) and oauthctl
// (--grant-types) read.
struct GrantType {
    std::string_view name;   // the grant_type value (store::kGrant*)
    std::string_view alias;  // oauthctl's short name for a long URN, or ""
    // Served when the server block has the token endpoint and this one too
    // (the authorization or device endpoint that starts the grant).
    oauth_endpoint_e starts_at;
    GrantFactory factory;
};
// In the order discovery publishes them.
std::span<const GrantType> grant_types();

// The factory for a grant_type value; nullptr when unsupported.
GrantFactory find_grant(std::string_view grant_type);
// The grant types a server block serves (discovery's grant_types_supported).
std::vector<std::string_view> served_grants(const flow::ServerConfig& server);

// An error answer of the token endpoint (no-store, Pragma), with a log reason.
flow::Step fail(Error e, std::string_view description, std::string reason = {});
// The thumbprint of the request's DPoP proof key, "" without a proof: what
// the access token is bound to (RFC 9449 §6).
inline std::string bound_key(const GrantContext& ctx) { return ctx.dpop ? ctx.dpop->jkt : std::string(); }

// The answer when Redis replied with an error to a step.
flow::Step store_error();

// RFC 6749 §3.3: the scope asked for in the form, checked against `allowed`
// (invalid_scope when it asks for more, or is malformed); a missing scope
// means all of `allowed`.
std::expected<std::vector<std::string>, flow::Step> requested_scope(
    const http::Form& form, const std::vector<std::string>& allowed);

// RFC 8707 §2: the `resource` values of the token request, each a resource
// this configuration names (invalid_target otherwise) and, when the grant
// already has resources (`granted`: a code's, a family's), one of them
// (narrowing; never wider). None asked: `granted`.
std::expected<std::vector<std::string>, flow::Step> requested_resources(
    const http::Form& form, const flow::ServerConfig& server, const std::vector<std::string>& granted = {});

}  // namespace oauth::token
