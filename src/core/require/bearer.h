// The bearer token out of an Authorization header (RFC 6750 §2.1). Only the
// header: a token in the query string or the body is never looked at.
#pragma once
#include <optional>
#include <string_view>

#include "require/reason.h"

namespace oauth::require {

struct BearerToken {
    Reason reason = Reason::NoToken;  // Ok when token is set
    std::string_view token;           // a view into the header value
};

// header: the raw field value, nullopt when the request has none.
// "Bearer" is matched case-insensitively (RFC 7235 §2.1); another scheme
// counts as no token; "Bearer" with nothing or with several tokens is
// MalformedHeader (400). The token's characters are not looked at here:
// is_b64token() is asked only of a token the worker has not verified before
// (require/validate.cpp), so a cached token is not scanned on every request.
BearerToken parse_bearer(std::optional<std::string_view> header);
// The same grammar for another token scheme ("DPoP", RFC 9449 §7.1).
BearerToken parse_token(std::optional<std::string_view> header, std::string_view scheme);

// RFC 6750 §2.1 b64token; a token of other bytes is Malformed (401
// invalid_token), not a malformed header.
bool is_b64token(std::string_view token);

}  // namespace oauth::require
