// DPoP proofs (RFC 9449 §4.2, checked as §4.3 says): the JWT a client signs
// with its own key for every request, naming the method and URL it is for.
// Pure: the caller supplies the request, the clock and, at a resource, the
// access token and the key it is bound to. What needs Redis (jti replay) or
// the server's nonces is the caller's, from the Proof this returns.
#pragma once
#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace oauth::dpop {

enum class ProofError {
    Malformed,       // not a compact JWS, bad base64url or JSON, too big, crit
    BadType,         // typ is not dpop+jwt (§4.3 step 4)
    BadAlg,          // none, HMAC, unknown, or not the jwk's algorithm (§4.3 step 5)
    BadKey,          // jwk missing, unsupported or unusable
    PrivateKey,      // jwk carries a private member (§4.3 step 7)
    BadSignature,    // §4.3 step 6
    MissingClaim,    // jti, htm, htu or iat absent or of the wrong type
    WrongMethod,     // htm (§4.3 step 8)
    WrongUrl,        // htu without query and fragment (§4.3 step 9)
    Stale,           // iat too far in the past (§4.3 step 11)
    Future,          // iat too far in the future
    MissingAth,      // a resource request without ath (§4.3 step 10, §7.1)
    WrongAth,
    WrongKey,        // the key's thumbprint is not the token's cnf.jkt (§7.1)
};
std::string_view error_text(ProofError e);

// The algorithms a proof may use, space-separated, as WWW-Authenticate's
// algs and discovery's dpop_signing_alg_values_supported announce them.
// PS256 is RSASSA-PSS (RFC 7518 §3.5) by an RSA jwk; Ed25519 is the fully
// specified name of EdDSA over Ed25519 (RFC 9864), which panva's dpop 2.x
// sends: both names verify the same way.
inline constexpr std::string_view kAlgs = "ES256 RS256 PS256 EdDSA Ed25519";
inline constexpr std::array<std::string_view, 5> supported_algs() {
    return {"ES256", "RS256", "PS256", "EdDSA", "Ed25519"};
}

struct Expect {
    std::string_view method;        // the request's method, compared exactly
    std::string_view url;           // the request URL as the client saw it
    int64_t now = 0;
    int64_t leeway = 30;            // seconds each side of now for iat
    // At a protected resource: the access token (ath must be its SHA-256)
    // and its cnf.jkt. Empty at the token endpoint.
    std::string_view access_token;
    std::string_view jkt;
};

struct Proof {
    std::string jkt;                // RFC 7638 thumbprint of the proof's key
    std::string jti;
    int64_t iat = 0;
    std::optional<std::string> nonce;
};

inline constexpr size_t kMaxProofSize = 8 * 1024;
inline constexpr size_t kMaxJtiSize = 256;

std::expected<Proof, ProofError> verify_proof(std::string_view proof, const Expect& expect);

// RFC 9449 §4.3 step 9 with RFC 3986 §6.2.2-6.2.3 normalisation: scheme and
// host compared case-insensitively, a default port the same as none, an
// empty path the same as "/", and query and fragment ignored. Both sides
// are normalised, so a client that writes https://API.example:443/x?a=1
// matches a request for https://api.example/x.
bool same_url(std::string_view htu, std::string_view request_url);

// The thumbprint SHA-256 of an access token as "ath" carries it (§4.2).
std::string access_token_hash(std::string_view access_token);

// How long a jti must be remembered: a proof is accepted while its iat is
// within leeway of now, so it can come back at most 2 x leeway later.
int64_t replay_window(int64_t leeway);

}  // namespace oauth::dpop
