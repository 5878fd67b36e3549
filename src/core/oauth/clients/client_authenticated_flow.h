// The shape shared by the endpoints where a client authenticates with a
// form POST: token (RFC 6749 §3.2), introspection (RFC 7662 §2.1),
// revocation (RFC 7009 §2.1) and device authorization (RFC 8628 §3.1).
// The base parses the form, lets the endpoint check it, authenticates the
// client (oauth/client_auth.h: one Redis GET, maybe one offloaded KDF) and
// answers a failure; the endpoint then takes over with authenticated(), and
// every later Redis reply or offload is its own.
#pragma once
#include <expected>
#include <optional>
#include <string>

#include "oauth/clients/client_auth.h"
#include "store/keys.h"
#include "store/script.h"

namespace oauth::token {

class ClientAuthenticatedFlow : public store::RedisFlow {
public:
    // `name` is the request's name in log reasons ("token" ->
    // "malformed token request").
    ClientAuthenticatedFlow(const flow::ServerConfig& server, flow::Request request,
                            std::string name);

protected:
    // The body (oauth/form_request.h); an endpoint whose parameters may all
    // be absent overrides it.
    virtual std::expected<http::Form, http::Response> read_form() const;
    // The endpoint's checks of form_ that come before client authentication;
    // a Step answers, nullopt goes on.
    virtual std::optional<flow::Step> check_form() { return std::nullopt; }
    // The client has authenticated: client() is set.
    virtual flow::Step authenticated() = 0;
    // The endpoint's own Redis and offload steps, after authenticated().
    virtual flow::Step on_replies(flow::Replies replies);
    virtual void work() {}
    virtual flow::Step worked();
    // work() was refused (the KDF limit); the default answers 503.
    virtual flow::Step refused();

    const store::Client& client() const { return auth_->client(); }
    const client_auth::Presented& presented() const { return auth_->presented(); }

    store::Keys keys_;
    http::Form form_;

private:
    flow::Step begin() final;
    flow::Step replied(flow::Replies replies) final;
    void offload() final;
    flow::Step offloaded() final;
    flow::Step busy() final;
    flow::Step outcome(client_auth::Outcome o);

    std::string name_;
    std::optional<client_auth::ClientAuth> auth_;
    bool done_ = false;  // authenticated: later steps are the endpoint's
};

}  // namespace oauth::token
