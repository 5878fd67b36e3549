// The token endpoint (RFC 6749 §3.2): POST form, client authentication, then
// the grant named by grant_type (oauth/grant.h).
#include <optional>

#include "oauth/client_auth.h"
#include "oauth/endpoints.h"
#include "oauth/form_request.h"
#include "oauth/grant.h"
#include "oauth/issue.h"
#include "store/script.h"

namespace oauth::endpoints {

namespace {

using client_auth::Outcome;
using flow::Step;

class TokenFlow final : public store::RedisFlow {
public:
    TokenFlow(const ServerConfig& server, Request request)
        : RedisFlow(server, std::move(request)), keys_(server.prefix) {}

    Step begin() override {
        auto form = form_request::parse(request_);
        if (!form) return Step::respond(std::move(form.error()), "malformed token request");
        form_ = std::move(*form);
        grant_type_ = form_.value("grant_type");
        if (grant_type_.empty()) return token::fail(Error::InvalidRequest, "grant_type is missing");
        factory_ = token::find_grant(grant_type_);
        if (!factory_) return token::fail(Error::UnsupportedGrantType, "unsupported grant_type");
        auto presented = client_auth::presented_client(request_, form_);
        if (!presented)
            return Step::respond(token::no_cache(std::move(presented.error())),
                                 "client authentication refused");
        auth_.emplace(std::move(*presented));
        return Step::redis({auth_->fetch(keys_)});
    }

    Step replied(flow::Replies replies) override {
        if (!grant_) return authenticated(auth_->on_reply(replies[0]));
        return grant_->on_redis(replies);
    }

    void offload() override {
        if (grant_) grant_->offload();
        else auth_->offload();
    }

    Step offloaded() override {
        if (!grant_) return authenticated(auth_->on_offload());
        return grant_->on_offload();
    }

private:
    Step authenticated(Outcome outcome) {
        if (outcome == Outcome::Offload) return Step::offload();
        if (outcome == Outcome::Failed)
            return Step::respond(token::no_cache(auth_->error()), auth_->reason());
        // RFC 6749 §5.2: unauthorized_client when the grant type is not the
        // client's.
        if (!auth_->client().allows_grant(grant_type_))
            return token::fail(Error::UnauthorizedClient,
                               "the client may not use this grant type");
        ctx_.emplace(token::GrantContext{server_, request_, form_, auth_->client(), keys_});
        grant_ = factory_(*ctx_);
        return grant_->start();
    }

    store::Keys keys_;
    http::Form form_;
    std::string grant_type_;
    token::GrantFactory factory_ = nullptr;
    std::optional<client_auth::ClientAuth> auth_;
    std::optional<token::GrantContext> ctx_;
    std::unique_ptr<token::Grant> grant_;
};

}  // namespace

std::unique_ptr<Flow> make_token(const ServerConfig& server, Request request) {
    return std::make_unique<TokenFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
