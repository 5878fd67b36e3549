// The UserInfo endpoint (OIDC Core §5.3), a protected resource of the
// authorization server itself (RFC 6750): the access token comes from the
// Authorization header only and is checked by oauth_require's own validator
// (require/validate.h) with the scope openid; its session must live.
//
// Two Redis round trips:
//   1. GET P at:{jti} (the session: alive, and which family)  +  GET P sub:{sub}
//      (the username owning that sub, for the fallback below);
//   2. HMGET P fam:{fid} claims username  +  GET P user:{username}.
// The claims come from the family (what the authorization_code grant stored:
// the user record or an external login's claims at sign-in time); a family
// without them (password grant) falls back to the user record, accepted only
// when it still carries the token's sub (a deleted and re-created username
// gets a new sub and must not inherit the old one's tokens).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpop/nonce.h"
#include "dpop/replay.h"
#include "oauth/tokens/bearer_access.h"
#include "require/dpop_check.h"
#include "oauth/endpoints/endpoints.h"
#include "http/errors.h"
#include "oauth/tokens/id_token.h"
#include "require/challenge.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"

namespace oauth::endpoints {

namespace {

using flow::Step;
using require::Reason;

constexpr std::string_view kOpenid = "openid";

// A description fit for the client of the challenge's error (the log gets
// the precise reason_text(); a forger learns nothing about which check
// failed).
std::string_view body_description(Error error) {
    switch (error) {
    case Error::InvalidRequest: return "malformed Authorization header";
    case Error::InsufficientScope: return "the access token lacks the openid scope";
    case Error::InvalidDpopProof: return "the DPoP proof is invalid";
    case Error::UseDpopNonce: return dpop::kResourceNonceDescription;
    default: return "the access token is invalid, expired or revoked";
    }
}

class UserinfoFlow final : public Flow {
public:
    UserinfoFlow(const ServerConfig& server, Request request)
        : Flow(server, std::move(request)), keys_(server.prefix) {}

    Step start() override {
        // OIDC Core §5.3: GET or POST.
        if (request_.method != "GET" && request_.method != "POST") {
            http::Response r = error_response(Error::InvalidRequest, "use GET or POST");
            r.status = 405;
            r.header("Allow", "GET, POST");
            return Step::respond(std::move(r), "userinfo: method not allowed");
        }
        auto access = bearer::access_with_dpop(request_, server_, kOpenid);
        if (!access) {
            dpop_ = access.error().dpop;
            nonce_ = std::move(access.error().nonce);
            return deny(access.error().reason, access.error().detail);
        }
        claims_ = std::move(access->claims);
        dpop_ = access->proof.has_value();
        nonce_ = std::move(access->nonce);
        phase_ = Phase::Session;
        std::vector<flow::Command> cmds = {{"GET", keys_.access(claims_->jti)},
                                           {"GET", keys_.sub(claims_->sub)}};
        // RFC 9449 §11.1: a DPoP proof's jti is spent in the same round trip.
        if (access->proof) cmds.push_back(dpop::replay_argv(server_.prefix, *access->proof, request_.leeway));
        return Step::redis(std::move(cmds));
    }

    Step on_redis(flow::Replies replies) override {
        return phase_ == Phase::Session ? on_session(replies) : on_claims(replies);
    }

private:
    enum class Phase { Session, Claims };

    Step on_session(flow::Replies replies) {
        const redisReply* session = replies[0];
        // SPEC §3: the token counts only while its session lives (the same
        // rule as require/session.h, read with GET to learn the family).
        if (store::is_error(session) || store::is_error(replies[1]))
            return deny(Reason::StoreUnavailable);
        if (replies.size() > 2) {
            switch (dpop::judge_replay(replies[2])) {
            case dpop::Replay::Fresh: break;
            case dpop::Replay::Replayed: return deny(Reason::DpopReplayed);
            case dpop::Replay::StoreError: return deny(Reason::StoreUnavailable);
            }
        }
        auto text = store::as_string(session);
        if (!text) return deny(Reason::Revoked);
        auto s = store::parse_access_session(*text);
        if (!s || s->sub != claims_->sub) return deny(Reason::Revoked);

        std::vector<flow::Command> cmds;
        cmds.push_back({"HMGET", keys_.family(s->family), std::string(id_token::kFieldClaims),
                        "username"});
        if (auto owner = store::as_string(replies[1]); owner && !owner->empty())
            cmds.push_back({"GET", keys_.user(*owner)});
        phase_ = Phase::Claims;
        return Step::redis(std::move(cmds));
    }

    Step on_claims(flow::Replies replies) {
        if (store::any_error(replies)) return deny(Reason::StoreUnavailable);
        const redisReply* fam = replies[0];
        std::optional<std::string_view> fam_claims, fam_username;
        if (fam->type == REDIS_REPLY_ARRAY && fam->elements == 2) {
            fam_claims = store::as_string(fam->element[0]);
            fam_username = store::as_string(fam->element[1]);
        }
        std::optional<store::User> user;
        if (replies.size() > 1)
            if (auto text = store::as_string(replies[1])) {
                user = store::parse_user(*text);
                if (user && user->sub != claims_->sub) user.reset();
            }

        json::Json source;
        if (fam_claims) source = json::parse_object(*fam_claims);
        else if (user) source = json::share(user->claims.get());
        std::string username(fam_username.value_or(user ? std::string_view(user->username) : ""));

        // OIDC Core §5.3.2: sub, then the claims the token's scope releases.
        json::Json body(json_object());
        json::set(body.get(), "sub", claims_->sub);
        json::Json released = id_token::released_claims(source.get(), claims_->scope, username);
        json::update_missing(body.get(), released.get());
        http::Response r = http::json_response(200, json::dump(body.get()));
        r.header("Cache-Control", "no-store");
        add_nonce(r);
        return Step::respond(std::move(r));
    }

    // RFC 6750 §3 / OIDC Core §5.3.3: the challenge in WWW-Authenticate; the
    // body repeats the error as JSON when there is one.
    Step deny(Reason reason, std::string_view detail = {}) {
        const std::string_view scopes[] = {kOpenid};
        require::Challenge ch = dpop_ ? require::dpop_challenge_for(reason, request_.realm, scopes)
                                      : require::challenge_for(reason, request_.realm, scopes);
        http::Response r;
        if (ch.status == 503) {
            r = error_response(Error::TemporarilyUnavailable, "the session store is unavailable");
        } else if (ch.status == 500) {
            r = oauth::internal_error();
        } else {
            r.status = ch.status;
            if (ch.error) {
                json::Json body(json_object());
                json::set(body.get(), "error", error_code(*ch.error));
                json::set(body.get(), "error_description", body_description(*ch.error));
                r.content_type = "application/json";
                r.body = json::dump(body.get());
            }
            r.header("WWW-Authenticate", std::move(ch.www_authenticate));
        }
        bool has_cc = false;
        for (const auto& [k, v] : r.headers) has_cc |= k == "Cache-Control";
        if (!has_cc) r.header("Cache-Control", "no-store");
        add_nonce(r);
        return Step::respond(std::move(r), "userinfo: " + std::string(detail.empty()
                                                                  ? require::reason_text(reason)
                                                                  : detail));
    }

    // RFC 9449 §9: oauth_dpop_nonce's DPoP-Nonce, when there is one to send.
    void add_nonce(http::Response& r) const {
        if (!nonce_.empty()) r.header(std::string(dpop::kNonceHeader), nonce_);
    }

    store::Keys keys_;
    std::string nonce_;
    Phase phase_ = Phase::Session;
    require::ClaimsPtr claims_;
    bool dpop_ = false;  // the token is DPoP-bound or came in the DPoP scheme
};

}  // namespace

std::unique_ptr<Flow> make_userinfo(const ServerConfig& server, Request request) {
    return std::make_unique<UserinfoFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
