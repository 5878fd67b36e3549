// JWS compact serialization (RFC 7515 §7.1) and JWT checks (RFC 7519).
#pragma once
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "jose/key.h"
#include "json/json.h"

namespace oauth::jose {

// Size caps that keep a hostile token cheap to refuse.
inline constexpr size_t kMaxTokenSize = 16 * 1024;
inline constexpr int kMaxJsonDepth = 8;

// Header {"alg","kid","typ"} (typ omitted when empty) + payload, signed.
std::string sign_compact(const Key& key, std::string_view typ, const json_t* payload);

enum class JwsError {
    Malformed,        // not three parts, bad base64url, bad JSON, too big/deep
    UnknownKid,       // kid absent or names no configured key
    AlgMismatch,      // alg is not the kid's key algorithm (none, HS256, ...)
    BadSignature,
};
std::string_view jws_error_text(JwsError e);

struct VerifiedJws {
    json::Json header;
    json::Json payload;
    const Key* key = nullptr;
};

// Strict parse and verification against the configured keys: exactly three
// parts, no padding, header and payload JSON objects, kid selects the key,
// alg must equal that key's algorithm, signature verifies.
std::expected<VerifiedJws, JwsError> verify_compact(std::string_view token,
                                                    std::span<const KeyPtr> keys);

}  // namespace oauth::jose
