#include "oauth/grants/authorization_code.h"

#include <algorithm>
#include <optional>
#include <string>

#include "dpop/binding.h"
#include "oauth/browser/code.h"
#include "oauth/tokens/issue.h"
#include "oauth/grants/pkce.h"
#include "oauth/tokens/resource.h"
#include "oauth/scopes/scope_string.h"
#include "oauth/grants/user_tokens.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::token {

namespace {

// One description for every way a code can be refused: the client learns
// that its code is no good, the log learns why (RFC 6749 §5.2 invalid_grant).
constexpr std::string_view kBadCode =
    "the authorization code is invalid, expired, already used, or was issued to another "
    "client or redirect_uri";

// The tombstone lives long enough to outlast any exchange in flight.
constexpr int64_t kTombstoneSeconds = 300;

class AuthorizationCodeGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        std::string_view code = ctx_.form.value("code");
        if (code.empty()) return fail(Error::InvalidRequest, "code is missing");
        // RFC 6749 §3.1: an empty parameter is an omitted one.
        if (const std::string* v = ctx_.form.get("code_verifier"); v && !v->empty())
            verifier_ = *v;
        family_id_ = new_id();
        bool refresh = ctx_.client.allows_grant(store::kGrantRefreshToken);
        // The "used" marker must outlive every token the exchange may issue,
        // so that a replay can still find and revoke them.
        int64_t at_ttl = std::max<int64_t>(1, ctx_.server.ttl_of(OAUTH_TTL_ACCESS_TOKEN));
        int64_t keep = refresh ? std::max(at_ttl, ctx_.server.ttl_of(OAUTH_TTL_REFRESH_TOKEN))
                                : at_ttl;
        keep = std::max(keep, ctx_.server.ttl_of(OAUTH_TTL_CODE));
        phase_ = Phase::Consume;
        return flow::Step::redis({store::consume_script().call(
            {ctx_.keys.code(store::secret_key_id(code))}, {family_id_, std::to_string(keep)})});
    }

    flow::Step on_redis(flow::Replies replies) override {
        switch (phase_) {
        case Phase::Consume: return consumed(replies[0]);
        case Phase::Replay: return replayed(replies);
        case Phase::Issue: return issued(replies);
        }
        return store_error();
    }

private:
    enum class Phase { Consume, Replay, Issue };

    flow::Step consumed(const redisReply* reply) {
        if (store::is_error(reply) || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1)
            return store_error();
        auto status = store::as_string(reply->element[0]).value_or("");
        if (status == "none") return fail(Error::InvalidGrant, kBadCode, "unknown or expired code");
        if (status == "used" && reply->elements >= 2) {
            auto marker = store::as_string(reply->element[1]).value_or("");
            if (marker.empty()) return fail(Error::InvalidGrant, kBadCode, "code used again");
            return revoke_replayed(std::string(marker));
        }
        if (status != "ok" || reply->elements < 2) return store_error();
        auto text = store::as_string(reply->element[1]);
        auto record = text ? authz::parse_code(*text) : std::nullopt;
        if (!record) return fail(Error::InvalidGrant, kBadCode, "unreadable code record");
        return exchange(*record);
    }

    // RFC 6749 §4.1.2: a code used twice is refused and what the first use
    // issued is revoked (RFC 9700 §4.2.4). EVAL rather than EVALSHA: inside
    // MULTI a NOSCRIPT would only show in EXEC's array, and this path is rare.
    flow::Step revoke_replayed(std::string fid) {
        phase_ = Phase::Replay;
        auto revoke = store::as_eval(
            store::family_call(store::revoke_family_script(), ctx_.keys, fid, {}, {""}));
        if (!revoke) return store_error();
        std::string fam = ctx_.keys.family(fid);
        return flow::Step::redis({
            {"MULTI"},
            std::move(*revoke),
            {"HSET", fam, "revoked", "1"},
            {"EXPIRE", fam, std::to_string(kTombstoneSeconds)},
            {"EXEC"},
        });
    }

    flow::Step replayed(flow::Replies replies) {
        const redisReply* exec = replies.empty() ? nullptr : replies.back();
        if (store::is_error(exec) || exec->type != REDIS_REPLY_ARRAY) return store_error();
        return fail(Error::InvalidGrant, kBadCode,
                    "authorization code replayed: the tokens it issued are revoked");
    }

    flow::Step exchange(const authz::CodeRecord& code) {
        const int64_t now = ctx_.request.now;
        // RFC 6749 §4.1.3: the code was issued to the authenticated client.
        if (code.client_id != ctx_.client.id)
            return fail(Error::InvalidGrant, kBadCode, "code issued to another client");
        // RFC 6749 §4.1.3: redirect_uri identical to the authorization
        // request's (SPEC §4.1: "must equal the one authorized").
        if (ctx_.form.value("redirect_uri") != code.redirect_uri)
            return fail(Error::InvalidGrant, kBadCode, "redirect_uri differs from the authorized one");
        // Redis expires the record; this holds when a TTL was lost or the
        // clock of the minting host runs ahead.
        if (now >= code.iat + std::max<int64_t>(1, ctx_.server.ttl_of(OAUTH_TTL_CODE)))
            return fail(Error::InvalidGrant, kBadCode, "code expired");
        // RFC 9700 §2.1.1: public clients always use PKCE (the authorize
        // endpoint insists; this keeps a code minted otherwise useless).
        if (ctx_.client.is_public && code.code_challenge.empty())
            return fail(Error::InvalidGrant, kBadCode, "public client code without PKCE");
        // RFC 7636 §4.6 (and SPEC §4.1 for a verifier without challenge).
        auto pkce = pkce::verify(code.code_challenge, code.code_challenge_method,
                                 verifier_ ? std::optional<std::string_view>(*verifier_)
                                           : std::nullopt);
        if (pkce != pkce::Outcome::Ok)
            return fail(Error::InvalidGrant, pkce::outcome_text(pkce),
                        std::string("PKCE: ") + std::string(pkce::outcome_text(pkce)));
        // RFC 9449 §10.1: a code bound with dpop_jkt needs a proof by that key.
        if (!dpop::code_binding_holds(code.dpop_jkt, bound_key(ctx_)))
            return fail(Error::InvalidGrant, "the code is bound to another DPoP key",
                        bound_key(ctx_).empty() ? "code bound with dpop_jkt, exchanged without a proof"
                                                : "code bound with dpop_jkt, proof by another key");
        // SPEC §4.1: every grant checks the client may have those scopes; its
        // registration may have narrowed since the code was minted.
        auto granted = scope::parse(code.scope);
        if (!granted || !scope::subset(*granted, ctx_.client.scopes))
            return fail(Error::InvalidScope, "the code's scope exceeds what the client may ask for");

        // RFC 8707 §2.2: the token request may name fewer resources than
        // were authorized, never others.
        std::vector<std::string> authorized = resource::split(code.resource);
        auto resources = requested_resources(ctx_.form, ctx_.server, authorized);
        if (!resources) return std::move(resources.error());

        tokens_.emplace(issue_for_user(ctx_, UserApproval{.sub = code.sub,
                                                          .username = code.username,
                                                          .scope = code.scope,
                                                          .claims = code.claims.get(),
                                                          .auth_time = code.auth_time,
                                                          .nonce = code.nonce,
                                                          .resources = std::move(*resources),
                                                          .granted_resources = std::move(authorized)},
                                       family_id_));
        phase_ = Phase::Issue;
        return flow::Step::redis(tokens_->issued.commands);
    }

    flow::Step issued(flow::Replies replies) {
        if (!issue_ok(replies)) {
            const redisReply* reply = replies.empty() ? nullptr : replies.back();
            // A replay revoked this exchange between its two steps: its
            // tombstone made ISSUE find the family taken.
            if (reply && reply->type == REDIS_REPLY_ERROR &&
                std::string_view(reply->str, reply->len).find("family exists") != std::string_view::npos)
                return fail(Error::InvalidGrant, kBadCode,
                            "authorization code replayed during the exchange");
            return finish_issue(tokens_->issued, replies);
        }
        return flow::Step::respond(token_response(tokens_->response().get()));
    }

    Phase phase_ = Phase::Consume;
    std::optional<std::string> verifier_;
    std::string family_id_;
    const Issued* issued() const override { return tokens_ ? &tokens_->issued : nullptr; }
    std::optional<UserTokens> tokens_;
};

}  // namespace

std::unique_ptr<Grant> make_authorization_code_grant(const GrantContext& ctx) {
    return std::make_unique<AuthorizationCodeGrant>(ctx);
}

}  // namespace oauth::token
