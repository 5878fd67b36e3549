// The token endpoint (RFC 6749 §3.2): POST form, client authentication, then
// the grant named by grant_type (oauth/grant.h).
#include <optional>

#include "oauth/clients/client_authenticated_flow.h"
#include "dpop/nonce.h"
#include "oauth/tokens/dpop_token.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "json/json.h"

namespace oauth::endpoints {

namespace {

using flow::Step;

class TokenFlow final : public token::ClientAuthenticatedFlow {
public:
    TokenFlow(const ServerConfig& server, Request request)
        : ClientAuthenticatedFlow(server, std::move(request), "token") {}

private:
    std::optional<Step> check_form() override {
        grant_type_ = form_.value("grant_type");
        if (grant_type_.empty()) return token::fail(Error::InvalidRequest, "grant_type is missing");
        factory_ = token::find_grant(grant_type_);
        if (!factory_) return token::fail(Error::UnsupportedGrantType, "unsupported grant_type");
        auto proof = token::request_proof(server_, request_);
        if (!proof) return std::move(proof.error());
        proof_ = std::move(*proof);
        // Before the client authenticates and before the jti is spent: the
        // client retries with a new proof, this one is never used.
        if (proof_) return token::nonce_refusal(server_, request_, *proof_, &nonce_);
        return std::nullopt;
    }

    Step authenticated() override {
        // RFC 6749 §5.2: unauthorized_client when the grant type is not the
        // client's.
        if (!client().allows_grant(grant_type_))
            return token::fail(Error::UnauthorizedClient,
                               "the client may not use this grant type");
        if (proof_) {
            // RFC 9449 §11.1: the proof's jti is spent before anything is issued.
            spending_ = true;
            return Step::redis({token::spend_proof(server_, request_, *proof_)});
        }
        return start_grant();
    }

    Step start_grant() {
        ctx_.emplace(token::GrantContext{server_, request_, form_, client(), keys_,
                                         proof_ ? &*proof_ : nullptr});
        grant_ = factory_(*ctx_);
        return grant_->start();
    }

    Step on_replies(flow::Replies replies) override {
        if (spending_) {
            spending_ = false;
            if (auto refused = token::proof_spent(replies[0])) return std::move(*refused);
            return start_grant();
        }
        return grant_->on_redis(replies);
    }
    void work() override { grant_->offload(); }
    Step worked() override { return grant_->on_offload(); }
    Step refused() override { return grant_->on_busy(); }

    // Every answer of the endpoint counts once: tokens issued by grant,
    // errors by their code (read back from the answer, so that every path,
    // client authentication and 503s included, is counted the same way).
    void annotate(Step& s) override {
        if (s.kind != Step::Kind::Respond) return;
        // RFC 9449 §8, §8.2: a use_dpop_nonce refusal, and any answer to a
        // proof whose nonce is the previous window's, names the current one.
        if (!nonce_.empty()) s.response.header(std::string(dpop::kNonceHeader), nonce_);
        const std::string& cid = grant_ ? client().id : empty_;
        const token::Issued* issued = grant_ ? grant_->issued() : nullptr;
        if (s.response.status == 200 && issued) {
            s.event({.kind = OAUTH_EVENT_TOKEN_ISSUED, .grant = grant_type_, .client = cid,
                     .sub = issued->sub, .jti = issued->jti, .family = issued->family_id});
            return;
        }
        std::string error = "server_error";
        if (json::Json body = json::parse_object(s.response.body))
            if (auto e = json::get_string(body.get(), "error")) error = std::string(*e);
        s.event({.kind = OAUTH_EVENT_TOKEN_ERROR, .grant = grant_type_, .client = cid,
                 .error = std::move(error)});
    }

    const std::string empty_;

    std::string grant_type_;
    token::GrantFactory factory_ = nullptr;
    std::optional<dpop::Proof> proof_;
    std::string nonce_;  // the DPoP-Nonce to send, if any
    bool spending_ = false;
    std::optional<token::GrantContext> ctx_;
    std::unique_ptr<token::Grant> grant_;
};

}  // namespace

std::unique_ptr<Flow> make_token(const ServerConfig& server, Request request) {
    return std::make_unique<TokenFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
