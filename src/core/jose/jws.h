// JWS compact serialization (RFC 7515 §7.1) and JWT checks (RFC 7519).
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jose/key.h"
#include "json/json.h"

namespace oauth::jose {

// Size caps that keep a hostile token cheap to refuse.
inline constexpr size_t kMaxTokenSize = 16 * 1024;
inline constexpr int kMaxJsonDepth = 8;

// The three base64url parts of a compact JWS, as sent.
struct CompactParts {
    std::string_view header, payload, signature;
    // header "." payload: what the signature covers.
    std::string_view signing_input() const {
        return {header.data(), static_cast<size_t>(payload.data() + payload.size() - header.data())};
    }
};
// Exactly three parts, header and payload not empty; nullopt otherwise.
std::optional<CompactParts> split_compact(std::string_view token);
// A part as the JSON object it encodes (depth at most kMaxJsonDepth); null
// when it is not base64url of one.
json::Json decode_part(std::string_view part);

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
