#include "require/dpop_check.h"

#include "dpop/nonce.h"

namespace oauth::require {

PresentedToken parse_authorization(std::optional<std::string_view> header) {
    PresentedToken out{parse_bearer(header), Scheme::Bearer};
    if (out.token.reason == Reason::NoToken) {
        BearerToken dpop = parse_token(header, "DPoP");
        if (dpop.reason != Reason::NoToken) out = {dpop, Scheme::DPoP};
    }
    return out;
}

std::expected<std::optional<dpop::Proof>, DpopDenial> check_dpop(Scheme scheme, DpopMode mode,
                                                                 const Claims& claims,
                                                                 std::string_view token,
                                                                 const DpopRequest& request) {
    if (scheme == Scheme::Bearer) {
        // RFC 9449 §7.2: a bound token is useless without its key, whatever
        // the location's mode.
        if (!claims.cnf_jkt.empty()) return std::unexpected(DpopDenial{Reason::BoundAsBearer, {}});
        if (mode == DpopMode::Required) return std::unexpected(DpopDenial{Reason::DpopRequired, {}});
        return std::nullopt;
    }
    if (claims.cnf_jkt.empty()) return std::unexpected(DpopDenial{Reason::NotDpopBound, {}});
    if (request.proof_count == 0 || !request.proof)
        return std::unexpected(DpopDenial{Reason::InvalidDpopProof, "DPoP proof: missing"});
    // RFC 9449 §4.3 step 1: one proof, no choice between two.
    if (request.proof_count > 1)
        return std::unexpected(DpopDenial{Reason::InvalidDpopProof, "DPoP proof: several headers"});
    auto proof = dpop::verify_proof(*request.proof, dpop::Expect{.method = request.method,
                                                                 .url = request.url,
                                                                 .now = request.now,
                                                                 .leeway = request.leeway,
                                                                 .access_token = token,
                                                                 .jkt = claims.cnf_jkt});
    if (!proof)
        return std::unexpected(DpopDenial{Reason::InvalidDpopProof, dpop::error_text(proof.error())});
    return std::optional<dpop::Proof>(std::move(*proof));
}

bool dpop_challenge_wanted(Scheme scheme, DpopMode mode, const Claims* claims) {
    return scheme == Scheme::DPoP || mode == DpopMode::Required || (claims && !claims->cnf_jkt.empty());
}

Challenge dpop_challenge_for(Reason r, std::string_view realm, std::span<const std::string_view> scopes) {
    std::string algs = ", algs=\"" + std::string(dpop::kAlgs) + "\"";
    auto dpop_error = [&](Error error, std::string_view description) {
        return Challenge{401,
                         "DPoP realm=" + quoted_string(realm) + ", error=\"" + std::string(error_code(error)) +
                             "\", error_description=" + quoted_string(description) + algs,
                         error};
    };
    // RFC 9449 §9: the resource server's nonce request, next to a DPoP-Nonce.
    if (r == Reason::UseDpopNonce) return dpop_error(Error::UseDpopNonce, dpop::kResourceNonceDescription);
    if (r == Reason::InvalidDpopProof || r == Reason::DpopReplayed)
        return dpop_error(Error::InvalidDpopProof, r == Reason::DpopReplayed ? "the DPoP proof was used before"
                                                                             : "the DPoP proof is invalid");
    Challenge ch = challenge_for(r, realm, scopes);
    // The Bearer challenge's parameters, in the DPoP scheme (RFC 9449 §7.1).
    static constexpr std::string_view kBearer = "Bearer ";
    if (ch.www_authenticate.starts_with(kBearer))
        ch.www_authenticate = "DPoP " + ch.www_authenticate.substr(kBearer.size()) + algs;
    return ch;
}

}  // namespace oauth::require
