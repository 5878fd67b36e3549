#include "http/cookies.h"

namespace oauth::http {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
    // RFC 6265 §5.4 / §4.2.1: cookie-pair *( ";" SP cookie-pair ); be lenient
    // about spaces, strict about names.
    while (!header.empty()) {
        size_t semi = header.find(';');
        std::string_view pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trim(pair.substr(0, eq)) != name) continue;
        std::string_view v = trim(pair.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return v;
    }
    return std::nullopt;
}

std::string set_cookie(const SetCookie& c) {
    std::string out = c.name + "=" + c.value;
    if (!c.path.empty()) out += "; Path=" + c.path;
    if (c.max_age) out += "; Max-Age=" + std::to_string(*c.max_age);
    if (c.secure) out += "; Secure";
    if (c.http_only) out += "; HttpOnly";
    if (!c.same_site.empty()) out += "; SameSite=" + c.same_site;
    return out;
}

}  // namespace oauth::http
