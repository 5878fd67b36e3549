// Token introspection (RFC 7662). The caller authenticates as a confidential
// client; any confidential client may introspect any token (SPEC §4.2).
// Active: active scope client_id sub exp iat iss aud jti token_type.
// Everything else (expired, revoked, forged, unknown, garbage) is exactly
// {"active":false} (RFC 7662 §2.2: nothing more may be revealed).
// token_type_hint is accepted and ignored: the token's shape tells (see
// token_lookup.h), and RFC 7662 §2.1 lets the server search all types.
#include <optional>

#include "oauth/client_authenticated_flow.h"
#include "oauth/endpoints.h"
#include "oauth/grant.h"
#include "oauth/issue.h"
#include "oauth/token_lookup.h"
#include "store/family.h"
#include "store/reply.h"

namespace oauth::endpoints {

namespace {

using flow::Step;

Step inactive(std::string reason) {
    return Step::respond(token::token_response(json::parse_object(R"({"active":false})").get()),
                         std::move(reason));
}

class IntrospectFlow final : public token::ClientAuthenticatedFlow {
public:
    IntrospectFlow(const ServerConfig& server, Request request)
        : ClientAuthenticatedFlow(server, std::move(request), "introspection") {}

private:
    std::optional<Step> check_form() override {
        if (!form_.get("token")) return token::fail(Error::InvalidRequest, "token is missing");
        return std::nullopt;
    }

    Step authenticated() override {
        if (client().is_public)
            return Step::respond(token::no_cache(client_auth::invalid_client(
                                     presented().method,
                                     "introspection needs a confidential client")),
                                 "public client at introspection");
        std::string_view token = form_.value("token");
        if (token::looks_like_jws(token)) {
            access_ = token::verify_access_token(server_, token, request_.now, true);
            if (!access_) return inactive("access token not valid");
            return Step::redis({{"EXISTS", keys_.access(access_->jti)}});
        }
        if (token.empty()) return inactive("empty token");
        auto lookup = store::refresh_lookup(keys_, token, false);
        if (!lookup) return inactive("not one of our refresh tokens");
        return Step::redis({std::move(*lookup)});
    }

    // One reply: EXISTS for an access token, the lookup for a refresh token.
    Step on_replies(flow::Replies replies) override {
        return access_ ? access_session(replies[0]) : refresh_found(replies[0]);
    }

    Step access_session(const redisReply* reply) {
        if (store::is_error(reply)) return token::store_error();
        if (store::as_integer(reply).value_or(0) != 1) return inactive("access token revoked");
        const json_t* p = access_->payload.get();
        json::Json out(json_object());
        json::set_new(out.get(), "active", json_true());
        for (const char* name : {"scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"}) {
            if (json_t* v = json_object_get(p, name)) json::set_copy(out.get(), name, v);
        }
        json::set(out.get(), "token_type", "Bearer");
        if (json_t* v = json_object_get(p, "preferred_username"))
            json::set_copy(out.get(), "username", v);  // RFC 7662 §2.2
        return Step::respond(token::token_response(out.get()));
    }

    Step refresh_found(const redisReply* reply) {
        store::RefreshLookup found = store::parse_refresh_lookup(reply);
        if (found.state == store::RefreshLookup::State::StoreError) return token::store_error();
        if (found.state != store::RefreshLookup::State::Ok || found.family.exp <= request_.now)
            return inactive("refresh token not active");
        const store::Family& f = found.family;
        json::Json out(json_object());
        json::set_new(out.get(), "active", json_true());
        json::set(out.get(), "scope", f.scope);
        json::set(out.get(), "client_id", f.client_id);
        json::set(out.get(), "sub", f.sub);
        json::set(out.get(), "exp", f.exp);
        json::set(out.get(), "iat", found.token_iat);
        json::set(out.get(), "iss", server_.issuer);
        // A refresh token is only ever presented back to this server.
        json::set(out.get(), "aud", server_.issuer);
        json::set(out.get(), "jti", found.token_id);
        json::set(out.get(), "token_type", "refresh_token");
        if (!f.username.empty()) json::set(out.get(), "username", f.username);
        return Step::respond(token::token_response(out.get()));
    }

    std::optional<token::AccessClaims> access_;
};

}  // namespace

std::unique_ptr<Flow> make_introspect(const ServerConfig& server, Request request) {
    return std::make_unique<IntrospectFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
