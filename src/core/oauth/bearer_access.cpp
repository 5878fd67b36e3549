#include "oauth/bearer_access.h"

#include <optional>

#include "oauth/errors.h"
#include "require/bearer.h"
#include "require/challenge.h"

namespace oauth::bearer {

using require::Reason;

std::expected<require::ClaimsPtr, Reason> access_claims(const flow::Request& request,
                                                        const flow::ServerConfig& server,
                                                        std::string_view scope) {
    // RFC 6750 §2.1; a second Authorization header is a malformed request.
    if (request.duplicate_authorization) return std::unexpected(Reason::MalformedHeader);
    auto bearer = require::parse_bearer(
        request.authorization.empty() ? std::nullopt
                                      : std::optional<std::string_view>(request.authorization));
    if (bearer.reason != Reason::Ok) return std::unexpected(bearer.reason);
    auto claims = require::authenticate(bearer.token, server.keys, &require::TokenCache::process(),
                                        request.now, server.prefix);
    if (!claims) return claims;
    const std::string_view scopes[] = {scope};
    require::Policy policy{scopes, {}, request.leeway};
    if (Reason r = require::evaluate(**claims, server.issuer, policy, request.now); r != Reason::Ok)
        return std::unexpected(r);
    return claims;
}

flow::Response denial(Reason r, std::string_view realm, std::string_view scope) {
    const std::string_view scopes[] = {scope};
    auto ch = require::challenge_for(r, realm, scopes);
    Error e = Error::InvalidToken;
    if (ch.status == 400) e = Error::InvalidRequest;
    else if (ch.status == 403) e = Error::InsufficientScope;
    else if (ch.status == 503) e = Error::TemporarilyUnavailable;
    else if (ch.status == 500) e = Error::ServerError;
    flow::Response resp = error_response(e, r == Reason::NoToken ? "a Bearer token is required"
                                                                 : std::string_view(require::reason_text(r)));
    resp.status = ch.status;
    if (!ch.www_authenticate.empty()) resp.header("WWW-Authenticate", ch.www_authenticate);
    return resp;
}

}  // namespace oauth::bearer
