// RFC 6749 §4.4: the client acts on its own behalf. Confidential clients
// only; the token's sub is the client id; no refresh token (§4.4.3).
#include <optional>

#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/scopes/scope_string.h"

namespace oauth::token {

namespace {

class ClientCredentialsGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        const store::Client& client = ctx_.client;
        if (client.is_public)
            return fail(Error::UnauthorizedClient, "client_credentials needs a confidential client");
        auto granted = requested_scope(ctx_.form, client.scopes);
        if (!granted) return std::move(granted.error());
        auto resources = requested_resources(ctx_.form, ctx_.server);
        if (!resources) return std::move(resources.error());
        issued_ = issue(ctx_.server, IssueRequest{.client = client,
                                                  .sub = client.id,
                                                  .scope = scope::join(*granted),
                                                  .refresh_token = false,
                                                  .family = false,
                                                  .now = ctx_.request.now,
                                                  .resources = std::move(*resources),
                                                  .jkt = bound_key(ctx_)});
        return flow::Step::redis(issued_->commands);
    }

    flow::Step on_redis(flow::Replies replies) override { return finish_issue(*issued_, replies); }

private:
    const Issued* issued() const override { return issued_ ? &*issued_ : nullptr; }
    std::optional<Issued> issued_;
};

}  // namespace

std::unique_ptr<Grant> make_client_credentials_grant(const GrantContext& ctx) {
    return std::make_unique<ClientCredentialsGrant>(ctx);
}

}  // namespace oauth::token
