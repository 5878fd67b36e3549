// Token introspection (RFC 7662). The caller authenticates as a confidential
// client; any confidential client may introspect any token (SPEC §4.2).
// Active: active scope client_id sub exp iat iss aud jti token_type.
// Everything else (expired, revoked, forged, unknown, garbage) is exactly
// {"active":false} (RFC 7662 §2.2: nothing more may be revealed).
// token_type_hint is accepted and ignored: the token's shape tells (see
// token_lookup.h), and RFC 7662 §2.1 lets the server search all types.
#include <optional>

#include "dpop/binding.h"
#include "oauth/clients/client_authenticated_flow.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/tokens/token_lookup.h"
#include "require/validate.h"
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
            // Verified as oauth_require verifies (require/validate.h), through
            // the worker's cache of verified tokens: a resource server that
            // introspects the same token again costs no signature check and
            // no JSON parse. The session is asked of Redis every time.
            auto claims = require::authenticate(token, server_.keys,
                                                &require::TokenCache::process(), request_.now,
                                                server_.prefix);
            // Our issuer, a jti, unexpired at our own clock (no leeway).
            if (!claims || (*claims)->iss != server_.issuer || (*claims)->jti.empty() ||
                (*claims)->exp <= request_.now)
                return inactive("access token not valid");
            access_ = std::move(*claims);
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
        const require::Claims& c = *access_;
        json::Json out(json_object());
        json::set_new(out.get(), "active", json_true());
        json::set(out.get(), "scope", c.scope);
        json::set(out.get(), "client_id", c.client_id);
        json::set(out.get(), "sub", c.sub);
        json::set(out.get(), "exp", c.exp);
        if (c.iat) json::set(out.get(), "iat", *c.iat);
        json::set(out.get(), "iss", c.iss);
        // aud as the token carried it: one string (as we issue it) or an array.
        if (c.aud.size() == 1) {
            json::set(out.get(), "aud", c.aud.front());
        } else if (!c.aud.empty()) {
            json::Json aud(json_array());
            for (const auto& a : c.aud) json::append(aud.get(), a);
            json::set_new(out.get(), "aud", aud.release());
        }
        json::set(out.get(), "jti", c.jti);
        // RFC 9449 §6.2: a DPoP-bound token says so, with its key's thumbprint.
        if (!c.cnf_jkt.empty()) {
            json::Json cnf(json_object());
            json::set(cnf.get(), "jkt", c.cnf_jkt);
            json::set_new(out.get(), "cnf", cnf.release());
            json::set(out.get(), "token_type", "DPoP");
        } else {
            json::set(out.get(), "token_type", "Bearer");
        }
        for (const auto& [name, value] : c.scalars)  // exact name, not Claims::get's any case
            if (name == "preferred_username") json::set(out.get(), "username", value);  // RFC 7662 §2.2
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

    require::ClaimsPtr access_;
};

}  // namespace

std::unique_ptr<Flow> make_introspect(const ServerConfig& server, Request request) {
    return std::make_unique<IntrospectFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
