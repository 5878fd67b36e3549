#include "oauth/tokens/bearer_access.h"

#include <optional>

#include "dpop/nonce.h"
#include "http/errors.h"
#include "require/bearer.h"
#include "require/challenge.h"
#include "require/dpop_check.h"

namespace oauth::bearer {

using require::Reason;

namespace {

std::expected<Access, Refusal> check(const flow::Request& request, const flow::ServerConfig& server,
                                     std::string_view scope, bool dpop_allowed) {
    // RFC 6750 §2.1; a second Authorization header is a malformed request.
    if (request.duplicate_authorization) return std::unexpected(Refusal{Reason::MalformedHeader});
    auto presented = require::parse_authorization(
        request.authorization.empty() ? std::nullopt
                                      : std::optional<std::string_view>(request.authorization));
    bool dpop = presented.scheme == require::Scheme::DPoP;
    if (dpop && !dpop_allowed) return std::unexpected(Refusal{Reason::NoToken});
    if (presented.token.reason != Reason::Ok)
        return std::unexpected(Refusal{presented.token.reason, dpop});
    auto claims = require::authenticate(presented.token.token, server.keys,
                                        &require::TokenCache::process(), request.now, server.prefix);
    if (!claims) return std::unexpected(Refusal{claims.error(), dpop});
    dpop = dpop || !(*claims)->cnf_jkt.empty();
    const std::string_view scopes[] = {scope};
    require::Policy policy{scopes, {}, request.leeway};
    if (Reason r = require::evaluate(**claims, server.issuer, policy, request.now); r != Reason::Ok)
        return std::unexpected(Refusal{r, dpop});
    std::string url = server.origin() + request.path;
    require::DpopRequest dr{
        .proof = request.dpop_count ? std::optional<std::string_view>(request.dpop) : std::nullopt,
        .proof_count = static_cast<unsigned>(request.dpop_count < 0 ? 0 : request.dpop_count),
        .method = request.method,
        .url = url,
        .now = request.now,
        .leeway = request.leeway};
    auto proof = require::check_dpop(presented.scheme, require::DpopMode::Allowed, **claims,
                                     presented.token.token, dr);
    if (!proof) return std::unexpected(Refusal{proof.error().reason, true, proof.error().detail});
    std::string nonce;
    if (*proof) {
        auto d = dpop::decide_nonce(server.dpop_nonce_keys, request.dpop_nonce_lifetime, request.now,
                                    (**proof).nonce);
        if (d.refused) {
            Refusal r{Reason::UseDpopNonce, true};
            r.nonce = std::move(d.send);
            return std::unexpected(std::move(r));
        }
        nonce = std::move(d.send);
    }
    return Access{std::move(*claims), std::move(*proof), std::move(nonce)};
}

}  // namespace

std::expected<require::ClaimsPtr, Reason> access_claims(const flow::Request& request,
                                                        const flow::ServerConfig& server,
                                                        std::string_view scope) {
    auto a = check(request, server, scope, false);
    if (!a) return std::unexpected(a.error().reason);
    return std::move(a->claims);
}

std::expected<Access, Refusal> access_with_dpop(const flow::Request& request,
                                                const flow::ServerConfig& server,
                                                std::string_view scope) {
    return check(request, server, scope, true);
}

http::Response denial(Reason r, std::string_view realm, std::string_view scope) {
    const std::string_view scopes[] = {scope};
    auto ch = require::challenge_for(r, realm, scopes);
    Error e = Error::InvalidToken;
    if (ch.status == 400) e = Error::InvalidRequest;
    else if (ch.status == 403) e = Error::InsufficientScope;
    else if (ch.status == 503) e = Error::TemporarilyUnavailable;
    else if (ch.status == 500) e = Error::ServerError;
    http::Response resp = error_response(e, r == Reason::NoToken ? "a Bearer token is required"
                                                                 : std::string_view(require::reason_text(r)));
    resp.status = ch.status;
    if (!ch.www_authenticate.empty()) resp.header("WWW-Authenticate", ch.www_authenticate);
    return resp;
}

}  // namespace oauth::bearer
