#include "require/bearer.h"

#include "util/ascii.h"

namespace oauth::require {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view s) {
    size_t i = 0;
    for (; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok) break;
    }
    if (i == 0) return false;
    for (; i < s.size(); i++)
        if (s[i] != '=') return false;
    return true;
}

}  // namespace

BearerToken parse_bearer(std::optional<std::string_view> header) {
    if (!header) return {Reason::NoToken, {}};
    std::string_view v = *header;
    while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_space(v.back())) v.remove_suffix(1);

    size_t sp = 0;
    while (sp < v.size() && !is_space(v[sp])) sp++;
    // RFC 7235 §2.1: the auth-scheme is case-insensitive. Any other scheme
    // (Basic, Digest, DPoP, ...) is simply not ours: RFC 6750 §3 treats it
    // as a request without credentials.
    if (!util::iequals(v.substr(0, sp), "Bearer")) return {Reason::NoToken, {}};

    std::string_view rest = v.substr(sp);
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) return {Reason::MalformedHeader, {}};
    for (char c : rest)
        if (is_space(c)) return {Reason::MalformedHeader, {}};  // more than one token
    // One token, but not of b64token characters: the header is well formed
    // (SPEC §5 keeps 400 for no token or several), the token is not.
    if (!is_b64token(rest)) return {Reason::Malformed, {}};
    return {Reason::Ok, rest};
}

}  // namespace oauth::require
