// Server-provided DPoP nonces (RFC 9449 §8 at the token endpoint, §9 at a
// resource), stateless so that every node accepts every node's nonce with
// nothing shared at run time but the configuration:
//
//   nonce key  = HMAC-SHA256(key = the signing key's private secret,
//                            "ngx_http_oauth DPoP-Nonce v1")
//   nonce(w)   = base64url(first 16 bytes of
//                HMAC-SHA256(nonce key, "DPoP-Nonce " T " " w))
//
// where T is the configured lifetime in seconds and w = floor(now / T) the
// time window. The private secret is RSA's d, the P-256 scalar (32 bytes) or
// the Ed25519 seed (32 bytes), big-endian, so a key reads the same from any
// PEM form. Every oauth_signing_key yields a nonce key: the signer's issues,
// all of them are accepted, so nodes that sign with different keys during a
// key rollover still take each other's nonces. The current window's nonce
// and the previous one's are accepted: a nonce lives between T and 2T.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jose/key.h"

namespace oauth::dpop {

using NonceKey = std::array<unsigned char, 32>;

// One nonce key per signing key, in their order (the first issues). A key
// whose private part cannot be read is skipped.
std::vector<NonceKey> derive_nonce_keys(std::span<const jose::KeyPtr> keys);

// The nonce of the window that holds now, under key.
std::string nonce_for(const NonceKey& key, int64_t lifetime, int64_t now);

enum class NonceVerdict {
    Current,   // this window's nonce: nothing to tell the client
    Previous,  // the previous window's: accepted, the answer carries a new one
    Refused,   // missing, unknown or expired: use_dpop_nonce with a new one
};

// keys as derive_nonce_keys() made them; lifetime > 0.
NonceVerdict judge_nonce(std::span<const NonceKey> keys, int64_t lifetime, int64_t now,
                         const std::optional<std::string>& nonce);

// What a flow does about a verified proof's nonce, with nonces on
// (lifetime > 0; 0 means off and decides nothing): refused -> answer
// use_dpop_nonce; send -> the DPoP-Nonce header for the answer ("" none).
struct NonceDecision {
    bool refused = false;
    std::string send;
};
NonceDecision decide_nonce(std::span<const NonceKey> keys, int64_t lifetime, int64_t now,
                           const std::optional<std::string>& nonce);

// RFC 9449 §8.1: what a server that wants a nonce says, and how it is said.
inline constexpr std::string_view kNonceHeader = "DPoP-Nonce";
inline constexpr std::string_view kTokenNonceDescription =
    "Authorization server requires nonce in DPoP proof";
inline constexpr std::string_view kResourceNonceDescription =
    "Resource server requires nonce in DPoP proof";

}  // namespace oauth::dpop
