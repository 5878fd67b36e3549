#include "oauth/tokens/dpop_token.h"

#include "dpop/nonce.h"
#include "dpop/replay.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"

namespace oauth::token {

flow::Step invalid_proof(std::string_view description, std::string_view reason) {
    return fail(Error::InvalidDpopProof, description, std::string(reason));
}

std::expected<std::optional<dpop::Proof>, flow::Step> request_proof(const flow::ServerConfig& server,
                                                                    const flow::Request& request) {
    if (request.dpop_count == 0) return std::nullopt;
    // RFC 9449 §4.3 step 1: exactly one DPoP header.
    if (request.dpop_count > 1)
        return std::unexpected(invalid_proof("more than one DPoP header", "DPoP proof: several headers"));
    std::string url = server.origin() + request.path;
    auto proof = dpop::verify_proof(request.dpop, dpop::Expect{.method = request.method,
                                                               .url = url,
                                                               .now = request.now,
                                                               .leeway = request.leeway,
                                                               .access_token = {},
                                                               .jkt = {}});
    if (!proof)
        return std::unexpected(invalid_proof("the DPoP proof is invalid", dpop::error_text(proof.error())));
    return std::optional<dpop::Proof>(std::move(*proof));
}

std::optional<flow::Step> nonce_refusal(const flow::ServerConfig& server, const flow::Request& request,
                                        const dpop::Proof& proof, std::string* send) {
    auto d = dpop::decide_nonce(server.dpop_nonce_keys, request.dpop_nonce_lifetime, request.now,
                                proof.nonce);
    *send = std::move(d.send);
    if (!d.refused) return std::nullopt;
    return fail(Error::UseDpopNonce, dpop::kTokenNonceDescription,
                proof.nonce ? "DPoP proof: nonce unknown or expired" : "DPoP proof: nonce missing");
}

flow::Command spend_proof(const flow::ServerConfig& server, const flow::Request& request,
                          const dpop::Proof& proof) {
    return dpop::replay_argv(server.prefix, proof, request.leeway);
}

std::optional<flow::Step> proof_spent(const redisReply* reply) {
    switch (dpop::judge_replay(reply)) {
    case dpop::Replay::Fresh: return std::nullopt;
    case dpop::Replay::Replayed:
        return invalid_proof("the DPoP proof was used before", "DPoP proof: jti replayed");
    case dpop::Replay::StoreError: break;
    }
    return store_error();
}

}  // namespace oauth::token
