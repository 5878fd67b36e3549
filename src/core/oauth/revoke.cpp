// Token revocation (RFC 7009). The caller authenticates (public clients with
// their client_id, RFC 7009 §2.1) and can revoke only tokens issued to
// itself; an unknown, invalid or foreign token still answers 200 and changes
// nothing (§2.2). Revoking an access token deletes its session; revoking a
// refresh token revokes its whole grant family (§2.1 allows it, SPEC §4.2
// requires it). token_type_hint is accepted and ignored, unknown values
// included (§2.1: the server extends its search anyway; the token's shape
// tells which kind it is), so unsupported_token_type is never answered.
#include <optional>

#include "oauth/client_auth.h"
#include "oauth/endpoints.h"
#include "oauth/form_request.h"
#include "oauth/grant.h"
#include "oauth/issue.h"
#include "oauth/token_lookup.h"
#include "store/reply.h"
#include "store/script.h"
#include "store/scripts.h"

namespace oauth::endpoints {

namespace {

using client_auth::Outcome;
using flow::Step;

Step revoked(std::string reason) {
    flow::Response r;
    r.status = 200;
    return Step::respond(token::no_cache(std::move(r)), std::move(reason));
}

class RevokeFlow final : public store::RedisFlow {
public:
    RevokeFlow(const ServerConfig& server, Request request)
        : RedisFlow(server, std::move(request)), keys_(server.prefix) {}

    Step begin() override {
        auto form = form_request::parse(request_);
        if (!form) return Step::respond(std::move(form.error()), "malformed revocation request");
        form_ = std::move(*form);
        if (!form_.get("token")) return token::fail(Error::InvalidRequest, "token is missing");
        auto presented = client_auth::presented_client(request_, form_);
        if (!presented)
            return Step::respond(token::no_cache(std::move(presented.error())),
                                 "client authentication refused");
        auth_.emplace(std::move(*presented));
        return Step::redis({auth_->fetch(keys_)});
    }

    Step replied(flow::Replies replies) override {
        if (!revoking_) return authenticated(auth_->on_reply(replies[0]));
        if (store::is_error(replies[0])) return token::store_error();
        return revoked(store::as_integer(replies[0]).value_or(0) == 1 ? "token revoked"
                                                                      : "nothing to revoke");
    }

    void offload() override { auth_->offload(); }
    Step offloaded() override { return authenticated(auth_->on_offload()); }

private:
    Step authenticated(Outcome outcome) {
        if (outcome == Outcome::Offload) return Step::offload();
        if (outcome == Outcome::Failed)
            return Step::respond(token::no_cache(auth_->error()), auth_->reason());
        const std::string& client = auth_->client().id;
        std::string_view token = form_.value("token");
        if (token.empty()) return revoked("empty token");
        revoking_ = true;
        if (token::looks_like_jws(token)) {
            // An expired token is still ours to forget; a forged one is not.
            auto claims = token::verify_access_token(server_, token, request_.now, false);
            if (!claims) return revoked("not one of our access tokens");
            if (claims->client_id != client) return revoked("access token of another client");
            return Step::redis({store::revoke_access_script().call(
                {}, {keys_.prefix(), claims->jti, client})});
        }
        return Step::redis({store::revoke_refresh_script().call(
            {}, {keys_.prefix(), store::secret_key_id(token), client})});
    }

    store::Keys keys_;
    http::Form form_;
    bool revoking_ = false;
    std::optional<client_auth::ClientAuth> auth_;
};

}  // namespace

std::unique_ptr<Flow> make_revoke(const ServerConfig& server, Request request) {
    return std::make_unique<RevokeFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
