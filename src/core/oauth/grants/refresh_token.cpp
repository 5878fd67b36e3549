// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new
// refresh token and the old one stops working; presenting a rotated token
// revokes the whole grant family. Two round trips: look the token up (the
// claims of the new access token come from its family), then rotate with a
// compare-and-swap that loses to any concurrent rotation.
#include <algorithm>
#include <optional>

#include "dpop/binding.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/id_token.h"
#include "oauth/tokens/issue.h"
#include "oauth/tokens/resource.h"
#include "oauth/scopes/scope_string.h"
#include "store/family.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::token {

namespace {

using store::RefreshLookup;

class RefreshTokenGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        presented_ = ctx_.form.value("refresh_token");
        if (presented_.empty()) return fail(Error::InvalidRequest, "refresh_token is missing");
        auto lookup = store::refresh_lookup(ctx_.keys, presented_, true);
        if (!lookup)
            return fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                        "refresh token that names no family");
        return flow::Step::redis({std::move(*lookup)});
    }

    flow::Step on_redis(flow::Replies replies) override {
        return issued_ ? rotated(replies[0]) : looked_up(replies[0]);
    }

private:
    flow::Step looked_up(const redisReply* reply) {
        RefreshLookup found = store::parse_refresh_lookup(reply);
        switch (found.state) {
        case RefreshLookup::State::StoreError: return store_error();
        case RefreshLookup::State::None:
            return fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                        "unknown refresh token");
        case RefreshLookup::State::Reused:
            return fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                        "rotated refresh token presented again: grant family revoked")
                .event({.kind = OAUTH_EVENT_REFRESH_REUSE, .client = ctx_.client.id,
                        .family = found.family.id});
        case RefreshLookup::State::Ok: break;
        }
        const store::Family& fam = found.family;
        // RFC 6749 §6: the refresh token must have been issued to this client.
        if (fam.client_id != ctx_.client.id)
            return fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                        "refresh token of another client");
        // RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        if (auto refusal = dpop::refresh_refusal(fam, ctx_.dpop))
            return fail(Error::InvalidGrant, "the refresh token is bound to a DPoP key",
                        std::string(*refusal));
        int64_t now = ctx_.request.now;
        int64_t left = fam.exp - now;
        if (left <= 0)
            return fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                        "grant family ended");
        // RFC 6749 §6: scope may narrow what the family was granted, never widen.
        auto family_scope = scope::parse(fam.scope).value_or(std::vector<std::string>{});
        auto granted = requested_scope(ctx_.form, family_scope);
        if (!granted) return std::move(granted.error());
        // SPEC 4.1: every grant checks the client may have those scopes; its
        // registration may have narrowed since the family was granted.
        if (!scope::subset(*granted, ctx_.client.scopes))
            return fail(Error::InvalidScope, "the scope exceeds what the client may now ask for");

        // RFC 8707 §2.2: a refresh may name fewer of the family's resources.
        std::vector<std::string> family_resources;
        if (auto it = fam.fields.find(resource::kFamilyField); it != fam.fields.end())
            family_resources = resource::split(it->second);
        auto resources = requested_resources(ctx_.form, ctx_.server, family_resources);
        if (!resources) return std::move(resources.error());

        int64_t ttl = std::min(std::max<int64_t>(1, ctx_.server.ttl_of(OAUTH_TTL_ACCESS_TOKEN)), left);
        AccessToken at = mint_access_token(ctx_.server, ctx_.client.id, fam.sub, fam.username,
                                           scope::join(*granted), fam.id, now, ttl, *resources,
                                           bound_key(ctx_));
        RefreshToken rt = mint_refresh_token(fam.id, now);
        issued_.emplace();
        issued_->access_token = std::move(at.token);
        issued_->jti = at.jti;
        issued_->family_id = fam.id;
        issued_->sub = fam.sub;
        sub_ = fam.sub;
        issued_->refresh_token = rt.token;
        issued_->scope = scope::join(*granted);
        issued_->expires_in = ttl;
        issued_->exp = at.exp;
        issued_->jkt = bound_key(ctx_);
        issued_->commands = {store::family_call(
            store::rotate_script(), ctx_.keys, fam.id, {},
            {store::secret_key_id(presented_), rt.hash, rt.record, at.member, at.session,
             std::to_string(ttl), std::to_string(now)})};
        id_token_ = id_token::on_refresh(ctx_.server, fam, issued_->scope, issued_->access_token, now);
        return flow::Step::redis(issued_->commands);
    }

    flow::Step rotated(const redisReply* reply) {
        if (store::is_error(reply)) return store_error();
        auto status = store::as_string(reply).value_or("");
        if (status == "ok") {
            json::Json body = issued_->response();
            if (id_token_) json::set(body.get(), "id_token", *id_token_);  // OIDC Core §12.2
            return flow::Step::respond(token_response(body.get()));
        }
        flow::Step s = fail(Error::InvalidGrant, "the refresh token is invalid, expired or revoked",
                            status == "reused" ? "concurrent reuse of a refresh token: grant family revoked"
                                               : "grant family ended during rotation");
        if (status == "reused")
            s.event({.kind = OAUTH_EVENT_REFRESH_REUSE, .client = ctx_.client.id, .sub = sub_,
                     .family = issued_->family_id});
        return s;
    }

    const Issued* issued() const override { return issued_ ? &*issued_ : nullptr; }

    std::string presented_;
    std::optional<Issued> issued_;
    std::string sub_;
    std::optional<std::string> id_token_;
};

}  // namespace

std::unique_ptr<Grant> make_refresh_token_grant(const GrantContext& ctx) {
    return std::make_unique<RefreshTokenGrant>(ctx);
}

}  // namespace oauth::token
