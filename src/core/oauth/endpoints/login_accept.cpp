// oauth_login_accept (SPEC §4.3): an external login application, having
// authenticated the user, posts its decision:
//   POST  Authorization: Bearer <access token with scope oauth:login>
//         Content-Type: application/json
//         {"login_challenge":"H","subject":"...","claims":{...}}
//   200   {"redirect_to":"https://as.example/authorize?login_challenge=H&login_verifier=V"}
// The token is checked like oauth_require does it (signature, iss, times,
// scope, and its session in Redis: a revoked token is refused at once). The
// decision is stored in the pending request with the hash of a one-time
// verifier; the browser, sent to redirect_to, gets the SSO session there
// (login_accept_landing.h). The claims become the user's claims for that
// session's ID tokens and userinfo.
//
// A subject naming a registered client is refused (RFC 9068 §5).
//
// Errors are JSON (RFC 6749 §5.2 shape): invalid_request 400, invalid_token
// 401 and insufficient_scope 403 with WWW-Authenticate (RFC 6750 §3),
// temporarily_unavailable 503.
#include <array>
#include <optional>

#include "oauth/browser/pending.h"
#include "oauth/tokens/bearer_access.h"
#include "oauth/endpoints/endpoints.h"
#include "require/challenge.h"
#include "require/claims.h"
#include "require/session.h"
#include "store/keys.h"
#include "store/reply.h"
#include "util/ascii.h"
#include "util/crypto.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Step;
using require::Reason;

constexpr std::string_view kScope = "oauth:login";
constexpr size_t kMaxSubject = 255;

class LoginAcceptFlow final : public Flow {
public:
    using Flow::Flow;

    Step start() override {
        if (request_.method != "POST") {
            auto r = error_response(Error::InvalidRequest, "use POST");
            r.status = 405;
            r.header("Allow", "POST");
            return Step::respond(std::move(r), "login_accept: method");
        }
        auto claims = bearer::access_claims(request_, server_, kScope);
        if (!claims) return deny(claims.error());
        jti_ = (*claims)->jti;

        if (request_.body_too_large) return invalid("the request body is too large");
        if (!util::is_media_type(request_.content_type, "application/json"))
            return invalid("Content-Type must be application/json");
        json::Json body = json::parse_object(request_.body, 8);
        if (!body) return invalid("the body is not a JSON object");
        auto challenge = json::get_string(body.get(), "login_challenge");
        auto subject = json::get_string(body.get(), "subject");
        if (!challenge || !authz::valid_handle(*challenge))
            return invalid("login_challenge is missing or malformed");
        if (!subject || subject->empty() || subject->size() > kMaxSubject ||
            require::has_control_character(*subject))
            return invalid("subject must be a non-empty string without control characters");
        json_t* claims_json = json_object_get(body.get(), "claims");
        if (claims_json && !json_is_object(claims_json) && !json_is_null(claims_json))
            return invalid("claims must be an object");
        handle_ = std::string(*challenge);
        accepted_.sub = std::string(*subject);
        accepted_.claims = json_is_object(claims_json) ? json::share(claims_json)
                                                       : json::Json(json_object());
        if (auto u = json::get_string(accepted_.claims.get(), "preferred_username"))
            accepted_.username = std::string(*u);
        accepted_.auth_time = request_.now;

        store::Keys keys(server_.prefix);
        // SPEC §3: the token counts only while its session lives. RFC 9068
        // §5: a subject equal to a client id would let this user's tokens pass
        // for that client's client_credentials tokens, so it is refused.
        return Step::redis({{"EXISTS", keys.access(jti_)},
                            authz::fetch(keys, handle_),
                            {"EXISTS", keys.client(accepted_.sub)}});
    }

    Step on_redis(flow::Replies replies) override {
        if (store::any_error(replies))
            return Step::respond(error_response(Error::TemporarilyUnavailable, "the store is unavailable"),
                                 "redis error");
        if (written_) return Step::respond(std::move(final_), "login_accept: accepted");
        if (Reason r = require::judge_session(replies[0]); r != Reason::Ok) return deny(r);
        if (replies[2]->type != REDIS_REPLY_INTEGER)
            return Step::respond(error_response(Error::TemporarilyUnavailable, "the store is unavailable"),
                                 "login_accept: unexpected EXISTS reply");
        if (replies[2]->integer != 0)
            return invalid("subject is the client id of a registered client; "
                           "a user subject may not equal a client id (RFC 9068 section 5)");
        std::optional<Pending> p = authz::parse_pending_reply(replies[1]);
        if (!p) return invalid("unknown or expired login_challenge");

        std::string landing = server_.endpoint_url(OAUTH_EP_AUTHORIZE);
        if (landing.empty()) landing = server_.endpoint_url(OAUTH_EP_LOGIN);
        if (landing.empty())
            return Step::respond(error_response(Error::ServerError,
                                                "no oauth_authorize or oauth_login location to return to"),
                                 "login_accept: no landing endpoint");
        std::string verifier = util::random_token(32);
        accepted_.verifier_hash = util::sha256_hex(verifier);
        p->accepted = std::move(accepted_);

        json::Json out(json_object());
        json::set(out.get(), "redirect_to",
                  authz::with_query(landing, {{"login_challenge", handle_}, {"login_verifier", verifier}}));
        final_ = http::json_response(200, json::dump(out.get()));
        final_.header("Cache-Control", "no-store");
        written_ = true;
        return Step::redis({authz::store(store::Keys(server_.prefix), handle_, *p)});
    }

private:
    Step invalid(std::string_view description) {
        return Step::respond(error_response(Error::InvalidRequest, description),
                             "login_accept: " + std::string(description));
    }

    // RFC 6750 §3: the status and challenge oauth_require would give, with a
    // JSON body.
    Step deny(Reason r) {
        return Step::respond(bearer::denial(r, request_.realm, kScope),
                             "login_accept: " + std::string(require::reason_text(r)));
    }

    std::string jti_, handle_;
    authz::Accepted accepted_;
    bool written_ = false;
    http::Response final_;
};

}  // namespace

std::unique_ptr<Flow> make_login_accept(const ServerConfig& server, Request request) {
    return std::make_unique<LoginAcceptFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
