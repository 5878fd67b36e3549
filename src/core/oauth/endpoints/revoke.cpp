// Token revocation (RFC 7009). The caller authenticates (public clients with
// their client_id, RFC 7009 §2.1) and can revoke only tokens issued to
// itself; an unknown, invalid or foreign token still answers 200 and changes
// nothing (§2.2). Revoking an access token deletes its session; revoking a
// refresh token revokes its whole grant family (§2.1 allows it, SPEC §4.2
// requires it). token_type_hint is accepted and ignored, unknown values
// included (§2.1: the server extends its search anyway; the token's shape
// tells which kind it is), so unsupported_token_type is never answered.
#include <optional>

#include "oauth/clients/client_authenticated_flow.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/tokens/token_lookup.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::endpoints {

namespace {

using flow::Step;

Step revoked(std::string reason) {
    http::Response r;
    r.status = 200;
    return Step::respond(token::no_cache(std::move(r)), std::move(reason));
}

class RevokeFlow final : public token::ClientAuthenticatedFlow {
public:
    RevokeFlow(const ServerConfig& server, Request request)
        : ClientAuthenticatedFlow(server, std::move(request), "revocation") {}

private:
    std::optional<Step> check_form() override {
        if (!form_.get("token")) return token::fail(Error::InvalidRequest, "token is missing");
        return std::nullopt;
    }

    Step authenticated() override {
        const std::string& client_id = client().id;
        std::string_view token = form_.value("token");
        if (token.empty()) return revoked("empty token");
        if (token::looks_like_jws(token)) {
            // An expired token is still ours to forget; a forged one is not.
            auto claims = token::verify_access_token(server_, token, request_.now, false);
            if (!claims) return revoked("not one of our access tokens");
            if (claims->client_id != client_id) return revoked("access token of another client");
            jti_ = claims->jti;
            if (auto s = json::get_string(claims->payload.get(), "sub")) sub_ = std::string(*s);
            return Step::redis({store::revoke_access(keys_, claims->jti, client_id)});
        }
        // A refresh token names its family (keys.h); one that names none was
        // never issued here.
        auto fid = store::Keys::family_of(token);
        auto key = keys_.refresh(token);
        if (!fid || !key) return revoked("not one of our refresh tokens");
        return Step::redis({store::family_call(store::revoke_refresh_script(), keys_, *fid, {*key},
                                               {std::string(*fid), client_id})});
    }

    // The revoke script's reply: 1 when it revoked something.
    Step on_replies(flow::Replies replies) override {
        if (store::is_error(replies[0])) return token::store_error();
        if (store::as_integer(replies[0]).value_or(0) != 1) return revoked("nothing to revoke");
        // A refresh token's family is revoked whole: the event names the
        // client (and the access token's jti and sub when one was revoked).
        return revoked(jti_.empty() ? "refresh token revoked: grant family revoked" : "token revoked")
            .event({.kind = OAUTH_EVENT_TOKEN_REVOKED, .client = client().id, .sub = sub_,
                    .jti = jti_});
    }

    std::string jti_;
    std::string sub_;
};

}  // namespace

std::unique_ptr<Flow> make_revoke(const ServerConfig& server, Request request) {
    return std::make_unique<RevokeFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
