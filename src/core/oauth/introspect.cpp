// Token introspection (RFC 7662). The caller authenticates as a confidential
// client; any confidential client may introspect any token (SPEC §4.2).
// Active: active scope client_id sub exp iat iss aud jti token_type.
// Everything else (expired, revoked, forged, unknown, garbage) is exactly
// {"active":false} (RFC 7662 §2.2: nothing more may be revealed).
// token_type_hint is accepted and ignored: the token's shape tells (see
// token_lookup.h), and RFC 7662 §2.1 lets the server search all types.
#include <optional>

#include "oauth/client_auth.h"
#include "oauth/endpoints.h"
#include "oauth/form_request.h"
#include "oauth/grant.h"
#include "oauth/issue.h"
#include "oauth/token_lookup.h"
#include "store/family.h"
#include "store/reply.h"
#include "store/script.h"

namespace oauth::endpoints {

namespace {

using client_auth::Outcome;
using flow::Step;

Step inactive(std::string reason) {
    return Step::respond(token::token_response(json::parse_object(R"({"active":false})").get()),
                         std::move(reason));
}

class IntrospectFlow final : public store::RedisFlow {
public:
    IntrospectFlow(const ServerConfig& server, Request request)
        : RedisFlow(server, std::move(request)), keys_(server.prefix) {}

    Step begin() override {
        auto form = form_request::parse(request_);
        if (!form) return Step::respond(std::move(form.error()), "malformed introspection request");
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
        switch (state_) {
        case State::Auth: return authenticated(auth_->on_reply(replies[0]));
        case State::Access: return access_session(replies[0]);
        case State::Refresh: return refresh_found(replies[0]);
        }
        return Step::respond(token::no_cache(flow::internal_error()));
    }

    void offload() override { auth_->offload(); }
    Step offloaded() override { return authenticated(auth_->on_offload()); }

private:
    enum class State { Auth, Access, Refresh };

    Step authenticated(Outcome outcome) {
        if (outcome == Outcome::Offload) return Step::offload();
        if (outcome == Outcome::Failed)
            return Step::respond(token::no_cache(auth_->error()), auth_->reason());
        if (auth_->client().is_public)
            return Step::respond(token::no_cache(client_auth::invalid_client(
                                     auth_->presented().method,
                                     "introspection needs a confidential client")),
                                 "public client at introspection");
        std::string_view token = form_.value("token");
        if (token::looks_like_jws(token)) {
            access_ = token::verify_access_token(server_, token, request_.now, true);
            if (!access_) return inactive("access token not valid");
            state_ = State::Access;
            return Step::redis({{"EXISTS", keys_.access(access_->jti)}});
        }
        if (token.empty()) return inactive("empty token");
        state_ = State::Refresh;
        return Step::redis({store::refresh_lookup(keys_, token, false)});
    }

    Step access_session(const redisReply* reply) {
        if (store::is_error(reply)) return token::store_error();
        if (store::as_integer(reply).value_or(0) != 1) return inactive("access token revoked");
        const json_t* p = access_->payload.get();
        json::Json out(json_object());
        json_object_set_new(out.get(), "active", json_true());
        for (const char* name : {"scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"}) {
            if (json_t* v = json_object_get(p, name)) json_object_set(out.get(), name, v);
        }
        json::set(out.get(), "token_type", "Bearer");
        if (json_t* v = json_object_get(p, "preferred_username"))
            json_object_set(out.get(), "username", v);  // RFC 7662 §2.2
        return Step::respond(token::token_response(out.get()));
    }

    Step refresh_found(const redisReply* reply) {
        store::RefreshLookup found = store::parse_refresh_lookup(reply);
        if (found.state == store::RefreshLookup::State::StoreError) return token::store_error();
        if (found.state != store::RefreshLookup::State::Ok || found.family.exp <= request_.now)
            return inactive("refresh token not active");
        const store::Family& f = found.family;
        json::Json out(json_object());
        json_object_set_new(out.get(), "active", json_true());
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

    store::Keys keys_;
    http::Form form_;
    State state_ = State::Auth;
    std::optional<client_auth::ClientAuth> auth_;
    std::optional<token::AccessClaims> access_;
};

}  // namespace

std::unique_ptr<Flow> make_introspect(const ServerConfig& server, Request request) {
    return std::make_unique<IntrospectFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
