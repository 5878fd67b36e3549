#include "require/challenge.h"

namespace oauth::require {

namespace {

// What a client may be told; the log gets the precise reason_text().
std::string_view description(Reason r) {
    switch (r) {
    case Reason::MalformedHeader: return "malformed Authorization header";
    case Reason::Expired: return "the access token expired";
    case Reason::NotYetValid: return "the access token is not valid yet";
    case Reason::IssuedInFuture: return "the access token is issued in the future";
    case Reason::Revoked: return "the access token was revoked";
    case Reason::WrongAudience: return "the access token is not meant for this resource";
    case Reason::WrongIssuer: return "the access token has another issuer";
    case Reason::InsufficientScope: return "the access token lacks a required scope";
    default: return "the access token is invalid";
    }
}

}  // namespace

std::string quoted_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) continue;
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

Challenge challenge_for(Reason r, std::string_view realm, std::span<const std::string_view> scopes) {
    std::string head = "Bearer realm=" + quoted_string(realm);
    auto with_error = [&](unsigned status, Error error, std::string_view more = {}) {
        return Challenge{status,
                         head + ", error=\"" + std::string(error_code(error)) + "\", error_description=" +
                             quoted_string(description(r)) + std::string(more),
                         error};
    };
    switch (r) {
    case Reason::Ok:
        return {200, {}};
    case Reason::NoToken:
        // RFC 6750 §3.1: no error attribute when the request had no credentials.
        return {401, head};
    case Reason::MalformedHeader:
        return with_error(400, Error::InvalidRequest);
    case Reason::InsufficientScope: {
        std::string scope;
        for (auto s : scopes) {
            if (!scope.empty()) scope.push_back(' ');
            scope.append(s);
        }
        return with_error(403, Error::InsufficientScope, ", scope=" + quoted_string(scope));
    }
    case Reason::StoreUnavailable:
        return {503, {}};  // fail closed (SPEC §5)
    case Reason::Internal:
        return {500, {}};
    default:
        return with_error(401, Error::InvalidToken);
    }
}

void add_resource_metadata(Challenge& ch, std::string_view metadata_url) {
    if (metadata_url.empty() || ch.www_authenticate.empty() || (ch.status != 401 && ch.status != 403)) return;
    ch.www_authenticate += ", resource_metadata=" + quoted_string(metadata_url);
}

}  // namespace oauth::require
