#include "oauth/grants/pkce.h"

#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::pkce {

namespace {

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

bool base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

bool all_of(std::string_view s, bool (*pred)(char)) {
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}

}  // namespace

bool valid_verifier(std::string_view v) {
    return v.size() >= 43 && v.size() <= 128 && all_of(v, unreserved);
}

bool valid_challenge(std::string_view challenge, std::string_view method) {
    if (method == kMethodS256) return challenge.size() == 43 && all_of(challenge, base64url_char);
    return false;
}

std::string s256(std::string_view verifier) {
    return util::base64url_encode(util::sha256(verifier));
}

Outcome verify(std::string_view challenge, std::string_view method,
               std::optional<std::string_view> verifier) {
    if (challenge.empty()) return verifier ? Outcome::UnexpectedVerifier : Outcome::Ok;
    if (!verifier) return Outcome::MissingVerifier;
    if (method != kMethodS256) return Outcome::UnsupportedMethod;
    if (!valid_verifier(*verifier)) return Outcome::MalformedVerifier;
    // The challenge is not secret, but the comparison costs nothing to make
    // constant-time, and it keeps the verifier's transform from leaking.
    return util::constant_time_equal(s256(*verifier), challenge) ? Outcome::Ok
                                                                 : Outcome::Mismatch;
}

std::string_view outcome_text(Outcome o) {
    switch (o) {
    case Outcome::Ok: return "PKCE ok";
    case Outcome::MissingVerifier: return "code_verifier is required for this code";
    case Outcome::UnexpectedVerifier: return "code_verifier sent for a code issued without code_challenge";
    case Outcome::MalformedVerifier: return "code_verifier is malformed";
    case Outcome::UnsupportedMethod: return "unsupported code_challenge_method";
    case Outcome::Mismatch: return "code_verifier does not match code_challenge";
    }
    return "PKCE failed";
}

}  // namespace oauth::pkce
