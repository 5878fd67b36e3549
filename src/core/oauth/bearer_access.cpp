#include "oauth/bearer_access.h"

#include <optional>

#include "require/bearer.h"

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

}  // namespace oauth::bearer
