#include "oauth/scopes/scope_string.h"

#include <algorithm>

#include "util/words.h"

namespace oauth::scope {

namespace {

bool scope_char(unsigned char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

}  // namespace

std::optional<std::vector<std::string>> parse(std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view tok : util::words(text)) {
        if (!std::all_of(tok.begin(), tok.end(), [](char c) { return scope_char(c); }))
            return std::nullopt;
        if (!contains(out, tok)) out.emplace_back(tok);
    }
    return out;
}

std::string join(const std::vector<std::string>& scopes) { return util::join_words(scopes); }

bool contains(const std::vector<std::string>& scopes, std::string_view s) {
    return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

bool subset(const std::vector<std::string>& requested, const std::vector<std::string>& allowed) {
    return std::all_of(requested.begin(), requested.end(),
                       [&](const std::string& s) { return contains(allowed, s); });
}

std::string_view refusal_text(Refusal r) {
    return r == Refusal::Malformed ? "malformed scope" : "scope exceeds what the client may ask for";
}

std::expected<std::vector<std::string>, Refusal> requested(std::string_view asked,
                                                           const std::vector<std::string>& allowed) {
    if (asked.empty()) return allowed;
    auto parsed = parse(asked);
    if (!parsed) return std::unexpected(Refusal::Malformed);
    if (!subset(*parsed, allowed)) return std::unexpected(Refusal::Exceeds);
    return *parsed;
}

}  // namespace oauth::scope
