#include "require/bearer.h"

#include <array>

#include "util/ascii.h"

namespace oauth::require {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// A table: one lookup a byte.
constexpr auto kB64token = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789-._~+/"))
        t[c] = true;
    return t;
}();

}  // namespace

bool is_b64token(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && kB64token[static_cast<unsigned char>(s[i])]) i++;
    if (i == 0) return false;
    while (i < s.size() && s[i] == '=') i++;
    return i == s.size();
}

BearerToken parse_bearer(std::optional<std::string_view> header) {
    return parse_token(header, "Bearer");
}

BearerToken parse_token(std::optional<std::string_view> header, std::string_view scheme) {
    if (!header) return {Reason::NoToken, {}};
    std::string_view v = *header;
    while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_space(v.back())) v.remove_suffix(1);

    size_t sp = 0;
    while (sp < v.size() && !is_space(v[sp])) sp++;
    // RFC 7235 §2.1: the auth-scheme is case-insensitive. Any other scheme
    // (Basic, Digest, DPoP, ...) is simply not ours: RFC 6750 §3 treats it
    // as a request without credentials.
    if (!util::iequals(v.substr(0, sp), scheme)) return {Reason::NoToken, {}};

    std::string_view rest = v.substr(sp);
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) return {Reason::MalformedHeader, {}};
    // Trimmed, so white space inside means more than one token. find() is
    // memchr: a few nanoseconds even for a long token.
    if (rest.find(' ') != std::string_view::npos || rest.find('\t') != std::string_view::npos)
        return {Reason::MalformedHeader, {}};
    return {Reason::Ok, rest};
}

}  // namespace oauth::require
