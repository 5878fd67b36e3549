// RFC 6749 §4.3: resource owner password credentials, checked by the one
// password rule (oauth/password_check.h): brute-force limits before the KDF,
// scrypt on the thread pool, an unknown user costing the same as a known one.
#include <optional>

#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/users/password_check.h"
#include "oauth/scopes/scope_string.h"
#include "store/reply.h"

namespace oauth::token {

namespace {

class PasswordGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        std::string_view username = ctx_.form.value("username");
        if (username.empty() || !ctx_.form.get("password"))
            return fail(Error::InvalidRequest, "username and password are required");
        auto granted = requested_scope(ctx_.form, ctx_.client.scopes);
        if (!granted) return std::move(granted.error());
        scope_ = scope::join(*granted);
        auto resources = requested_resources(ctx_.form, ctx_.server);
        if (!resources) return std::move(resources.error());
        resources_ = std::move(*resources);
        check_.emplace(ctx_.server, ctx_.keys, std::string(username),
                       std::string(ctx_.form.value("password")), ctx_.request.client_address);
        if (!check_->within_bounds()) return wrong("oversized or empty field");
        phase_ = Phase::Lookup;
        return flow::Step::redis(check_->lookup());
    }

    flow::Step on_redis(flow::Replies replies) override {
        switch (phase_) {
        case Phase::Lookup:
            switch (check_->looked_up(replies)) {
            case password::Check::Next::Unavailable: return store_error();
            case password::Check::Next::Limited: return limited();
            case password::Check::Next::Redis: return flow::Step::redis(check_->pending());
            case password::Check::Next::Offload: return flow::Step::offload();
            }
            break;
        case Phase::Release:
            // Counted or not, the password was right: a failed give-back
            // leaves one failure too many until the window ends.
            return mint();
        case Phase::Issue:
            return finish_issue(*issued_, replies);
        case Phase::Busy:
            return Grant::on_busy();
        case Phase::Start:
            break;
        }
        return Grant::on_redis(replies);
    }

    void offload() override { check_->run(); }

    flow::Step on_offload() override {
        if (!check_->verified())
            return flow::Step::respond(no_cache(oauth::internal_error()), "password check did not run");
        // RFC 6749 §5.2: invalid_grant for bad resource owner credentials.
        if (!*check_->verified()) return wrong(check_->known_user() ? "wrong password" : "unknown user");
        phase_ = Phase::Release;
        return flow::Step::redis(check_->release());
    }

    flow::Step on_busy() override {
        // The password was never checked: this attempt is not a failure.
        phase_ = Phase::Busy;
        return flow::Step::redis(check_->release());
    }

private:
    enum class Phase { Start, Lookup, Release, Issue, Busy };

    flow::Step wrong(std::string reason) {
        return fail(Error::InvalidGrant, "wrong username or password", std::move(reason));
    }

    // RFC 6749 §5.2 has no code for "locked": invalid_grant (the credentials
    // cannot be used now), with when to come back.
    flow::Step limited() {
        std::string wait = std::to_string(check_->retry_after());
        flow::Step s = fail(Error::InvalidGrant,
                            "too many failed sign-in attempts, retry in " + wait + " seconds",
                            "password grant: login limit reached");
        s.response.header("Retry-After", wait);
        return s;
    }

    flow::Step mint() {
        const store::User& user = check_->user();
        issued_ = issue(ctx_.server,
                        IssueRequest{.client = ctx_.client,
                                     .sub = user.sub,
                                     .username = user.username,
                                     .scope = scope_,
                                     .refresh_token = ctx_.client.allows_grant(store::kGrantRefreshToken),
                                     .family_fields = {{"auth_time", std::to_string(ctx_.request.now)}},
                                     .now = ctx_.request.now,
                                     .resources = resources_,
                                     .jkt = bound_key(ctx_)});
        phase_ = Phase::Issue;
        return flow::Step::redis(issued_->commands);
    }

    Phase phase_ = Phase::Start;
    std::string scope_;
    std::vector<std::string> resources_;
    std::optional<password::Check> check_;
    const Issued* issued() const override { return issued_ ? &*issued_ : nullptr; }
    std::optional<Issued> issued_;
};

}  // namespace

std::unique_ptr<Grant> make_password_grant(const GrantContext& ctx) {
    return std::make_unique<PasswordGrant>(ctx);
}

}  // namespace oauth::token
