// The claims of a verified access token, parsed once (on a cache miss) into
// plain strings so that every later request reads them without JSON work and
// the $oauth_* variables can point straight into them.
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <jansson.h>

#include "jose/key.h"
#include "require/reason.h"

namespace oauth::require {

struct Claims {
    std::string iss;
    std::string sub;
    std::string client_id;
    std::string scope;                 // as sent: space-separated (RFC 9068 §2.2.3)
    std::string jti;
    int64_t exp = 0;
    std::optional<int64_t> nbf;
    std::optional<int64_t> iat;
    std::vector<std::string> aud;      // a string aud becomes one element
    std::string cnf_jkt;               // RFC 9449 §6.1: "" when not DPoP-bound
    std::vector<std::string_view> scopes;  // views into `scope`
    // Every top-level string, number or boolean claim as the variables show
    // it: strings as they are, integers in decimal, booleans true/false.
    std::vector<std::pair<std::string, std::string>> scalars;
    jose::KeyPtr key;                  // the key whose signature verified
    // The session check's RESP command for this jti under session_prefix
    // (require/session.h), formatted once when the token is verified rather
    // than on every request that presents it again.
    std::string session_prefix;
    std::string session_command;

    Claims() = default;
    Claims(const Claims&) = delete;    // `scopes` points into `scope`
    Claims& operator=(const Claims&) = delete;

    // The variable view of a top-level claim: exact name first, then ignoring
    // case (nginx lowercases variable names, JWT claim names are not).
    std::optional<std::string_view> get(std::string_view name) const;
    bool has_scope(std::string_view s) const;
    bool has_audience(std::string_view a) const;
};

// RFC 9068 §2.2 / RFC 7519 §4.1: registered claims must have their JSON type;
// exp and jti must be present; no string anywhere at the top level (nor in
// aud) may hold a control character: those values travel to upstreams in
// headers. Reason::Ok is never returned as an error.
std::expected<void, Reason> parse_claims(const json_t* payload, Claims& out);

// C0 controls, DEL and the C1 controls (U+0080..U+009F in UTF-8).
bool has_control_character(std::string_view s);

}  // namespace oauth::require
