// PKCE (RFC 7636): the token endpoint's half. The authorize endpoint stores
// the code_challenge and its method with the code; the token request brings
// the code_verifier, and only its S256 transform may match (SPEC §4.3:
// "plain" is refused, so a stored "plain" challenge never verifies).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace oauth::pkce {

inline constexpr std::string_view kMethodS256 = "S256";

// RFC 7636 §4.1: code-verifier = 43*128unreserved, where
// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
bool valid_verifier(std::string_view verifier);

// RFC 7636 §4.2: a code_challenge has the verifier's syntax; an S256 one is
// exactly 43 base64url characters (32 bytes, no padding).
bool valid_challenge(std::string_view challenge, std::string_view method);

// RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
std::string s256(std::string_view verifier);

enum class Outcome {
    Ok,                  // no PKCE on either side, or the verifier matches
    MissingVerifier,     // the code has a challenge, the request no verifier
    UnexpectedVerifier,  // a verifier for a code issued without a challenge
    MalformedVerifier,   // RFC 7636 §4.1 syntax
    UnsupportedMethod,   // anything but S256 stored with the code
    Mismatch,            // RFC 7636 §4.6
};

// Every outcome but Ok is invalid_grant at the token endpoint (RFC 7636
// §4.6; SPEC §4.1 for the missing/unexpected halves). challenge empty means
// the code was issued without PKCE; verifier nullopt means none was sent.
Outcome verify(std::string_view challenge, std::string_view method,
               std::optional<std::string_view> verifier);

// For the log and error_description; never holds the verifier.
std::string_view outcome_text(Outcome o);

}  // namespace oauth::pkce
