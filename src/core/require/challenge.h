// A refusal as HTTP (RFC 6750 §3): the status and the WWW-Authenticate
// challenge. This is the only place where a Reason becomes a status code.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/errors.h"
#include "require/reason.h"

namespace oauth::require {

struct Challenge {
    unsigned status = 0;
    std::string www_authenticate;  // empty: no header (503, 500)
    // The challenge's error attribute (RFC 6750 §3.1, RFC 9449 §7.1), which
    // a body that repeats it (userinfo) names too; none without credentials.
    std::optional<Error> error;
};

// realm: the oauth_realm; scopes: what the location requires, announced with
// insufficient_scope (RFC 6750 §3).
Challenge challenge_for(Reason r, std::string_view realm, std::span<const std::string_view> scopes);

// RFC 9728 §5.1: the location belongs to a resource (oauth_resource), so
// its 401 (and 403) challenge names that resource's metadata URL.
void add_resource_metadata(Challenge& ch, std::string_view metadata_url);

// RFC 7230 §3.2.6 quoted-string: backslash before '"' and '\'; control
// characters (which a quoted-string cannot carry) are dropped.
std::string quoted_string(std::string_view s);

}  // namespace oauth::require
