// A public key sent by a client as a JWK (RFC 7517 §4; RFC 7518 §6.2.1,
// §6.3.1; RFC 8037 §2), as in a DPoP proof's "jwk" header (RFC 9449 §4.2).
// Only the three key types we verify are read: RSA (2048 bits or more),
// EC P-256 and OKP Ed25519. A JWK carrying any private member is refused,
// whatever else it holds: a client that sends its private key has leaked it.
#pragma once
#include <expected>

#include <jansson.h>

#include "jose/key.h"

namespace oauth::jose {

enum class JwkError {
    NotAnObject,
    PrivateMember,    // d, p, q, dp, dq, qi, oth or k present
    UnsupportedKey,   // another kty, another curve, symmetric ("oct")
    BadMember,        // missing, not a string, bad base64url, wrong length
    BadKey,           // OpenSSL refused it: point off the curve, RSA too small
};

// A public-only Key (it can verify and thumbprint, never sign) whose kid is
// its RFC 7638 thumbprint.
std::expected<KeyPtr, JwkError> key_from_public_jwk(const json_t* jwk);

}  // namespace oauth::jose
