// ASCII case-insensitive comparison of protocol tokens (auth schemes, media
// types, claim names): no locale, bytes outside A-Z compared as they are.
#pragma once
#include <string_view>

namespace oauth::util {

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The media type of a Content-Type value is `want` (RFC 9110 §8.3.1: type
// and subtype are case-insensitive; parameters such as charset and the
// white space around them are ignored).
constexpr bool is_media_type(std::string_view content_type, std::string_view want) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    return iequals(type, want);
}

}  // namespace oauth::util
