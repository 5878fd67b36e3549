// Recognising a presented token at introspection and revocation: an access
// token is a JWS signed by one of our keys (jose::verify_compact) whose
// session P at:{jti} lives; anything else is treated as a refresh token and
// looked up by its hash. Refresh tokens are base64url without '.', access
// tokens always hold two: the shape decides, token_type_hint is not needed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/server.h"
#include "json/json.h"

namespace oauth::token {

struct AccessClaims {
    json::Json payload;  // the verified claims
    std::string jti;
    std::string client_id;
    int64_t exp = 0;
};

// Verified signature, typ at+jwt (RFC 9068 §4), our iss, a jti. When
// check_exp, also unexpired at `now` (no leeway: introspection answers for
// this server's own clock).
std::optional<AccessClaims> verify_access_token(const flow::ServerConfig& server,
                                                std::string_view token, int64_t now,
                                                bool check_exp);

// A compact JWS has two dots; a refresh token ("FID.SECRET", store/keys.h)
// has one.
inline bool looks_like_jws(std::string_view token) {
    size_t first = token.find('.');
    return first != std::string_view::npos && token.find('.', first + 1) != std::string_view::npos;
}

}  // namespace oauth::token
