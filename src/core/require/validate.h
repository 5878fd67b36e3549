// Access-token validation for oauth_require (SPEC §5, RFC 9068 §4), in two
// halves so the expensive one can be cached:
//   authenticate(): the bytes -> verified claims (JWS signature, kid/alg, typ,
//                   claim types); cached per worker by the whole token;
//   evaluate():     the claims -> this location's policy (iss, exp/nbf/iat
//                   with leeway, aud, scopes); run on every request.
// Time is passed in, so expiry is testable.
#pragma once
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "jose/key.h"
#include "require/cache.h"
#include "require/reason.h"

namespace oauth::require {

struct Policy {
    std::span<const std::string_view> scopes;  // all required
    std::string_view audience;                 // empty: any aud
    int64_t leeway = 30;                       // seconds, on exp, nbf and iat
};

// cache may be null (no caching). A cached entry is used only when the key
// that verified it is one of `keys`: a token verified for one server block is
// not thereby valid in another that does not list that key. A token verified
// here also gets its session command for `session_prefix` (the Redis key
// prefix) formatted into the claims.
std::expected<ClaimsPtr, Reason> authenticate(std::string_view token,
                                              std::span<const jose::KeyPtr> keys,
                                              TokenCache* cache, int64_t now,
                                              std::string_view session_prefix,
                                              bool* cache_hit = nullptr);

Reason evaluate(const Claims& claims, std::string_view issuer, const Policy& policy,
                int64_t now);

}  // namespace oauth::require
