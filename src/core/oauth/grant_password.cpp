// RFC 6749 §4.3: resource owner password credentials. The password is checked
// with scrypt on the thread pool; an unknown user costs the same KDF run as a
// known one, so timing does not tell which usernames exist.
#include <optional>

#include "oauth/grant.h"
#include "oauth/issue.h"
#include "oauth/scope.h"
#include "store/reply.h"
#include "util/password.h"

namespace oauth::token {

namespace {

// Verified against when the user does not exist; never matches anything a
// client can send (its secret is random and forgotten).
const std::string& dummy_hash() {
    static const std::string h = util::hash_secret(util::random_bytes(32), util::kPasswordCost);
    return h;
}

class PasswordGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        username_ = ctx_.form.value("username");
        password_ = ctx_.form.value("password");
        if (username_.empty() || !ctx_.form.get("password"))
            return fail(Error::InvalidRequest, "username and password are required");
        auto granted = requested_scope(ctx_.form, ctx_.client.scopes);
        if (!granted) return std::move(granted.error());
        scope_ = scope::join(*granted);
        return flow::Step::redis({{"GET", ctx_.keys.user(username_)}});
    }

    flow::Step on_redis(flow::Replies replies) override {
        if (issued_) return finish_issue(*issued_, replies[0]);
        if (store::is_error(replies[0])) return store_error();
        if (auto text = store::as_string(replies[0])) user_ = store::parse_user(*text);
        return flow::Step::offload();
    }

    void offload() override {
        const std::string& hash = user_ ? user_->password_hash : dummy_hash();
        bool ok = util::verify_secret(password_, hash);
        verified_ = ok && user_.has_value();
    }

    flow::Step on_offload() override {
        if (!verified_) return flow::Step::respond(no_cache(flow::internal_error()), "password check did not run");
        // RFC 6749 §5.2: invalid_grant for bad resource owner credentials.
        if (!*verified_) return fail(Error::InvalidGrant, "wrong username or password",
                                     user_ ? "wrong password" : "unknown user");
        issued_ = issue(ctx_.server,
                        IssueRequest{.client = ctx_.client,
                                     .sub = user_->sub,
                                     .username = user_->username,
                                     .scope = scope_,
                                     .refresh_token = ctx_.client.allows_grant(store::kGrantRefreshToken),
                                     .family_fields = {{"auth_time", std::to_string(ctx_.request.now)}},
                                     .now = ctx_.request.now});
        return flow::Step::redis({issued_->command});
    }

private:
    std::string username_, password_, scope_;
    std::optional<store::User> user_;
    std::optional<bool> verified_;
    std::optional<Issued> issued_;
};

}  // namespace

std::unique_ptr<Grant> make_password_grant(const GrantContext& ctx) {
    return std::make_unique<PasswordGrant>(ctx);
}

}  // namespace oauth::token
