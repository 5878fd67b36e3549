#include "oauth/tokens/resource.h"

#include <algorithm>

#include "require/claims.h"
#include "util/words.h"

namespace oauth::resource {

namespace {

// scheme://authority and the rest (path and query), of an absolute URI.
std::pair<std::string_view, std::string_view> split_origin(std::string_view uri) {
    size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) return {uri, {}};
    size_t rest = uri.find_first_of("/?", scheme + 3);
    if (rest == std::string_view::npos) return {uri, {}};
    return {uri.substr(0, rest), uri.substr(rest)};
}

bool absolute_uri(std::string_view uri) {
    // RFC 3986 §4.3 absolute-URI: scheme ":" hier-part, no fragment.
    size_t colon = uri.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    for (size_t i = 0; i < colon; i++) {
        char c = uri[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
        if (!ok) return false;
    }
    return uri.find_first_of("# ") == std::string_view::npos && !require::has_control_character(uri);
}

bool has(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::expected<std::vector<std::string>, std::string> requested(const std::vector<std::string>& values,
                                                               const flow::ServerConfig& server) {
    std::vector<std::string> out;
    for (const auto& v : values) {
        if (!absolute_uri(v)) return std::unexpected("resource must be an absolute URI without fragment");
        if (!server.find_resource(v)) return std::unexpected("unknown resource");
        if (!has(out, v)) out.push_back(v);
    }
    return out;
}

std::expected<std::vector<std::string>, std::string> narrowed(const std::vector<std::string>& asked,
                                                              const std::vector<std::string>& granted) {
    if (asked.empty()) return granted;
    if (!granted.empty())
        for (const auto& r : asked)
            if (!has(granted, r)) return std::unexpected("resource was not part of the grant");
    return asked;
}

std::vector<std::string> audience(const flow::ServerConfig& server, const std::vector<std::string>& resources) {
    if (resources.empty()) return {server.audience};
    return resources;
}

std::string join(const std::vector<std::string>& resources) { return util::join_words(resources); }

std::vector<std::string> split(std::string_view text) { return util::word_strings(text); }

std::string metadata_path(std::string_view resource) {
    auto [origin, rest] = split_origin(resource);
    if (rest == "/") rest = {};
    return std::string(kWellKnown) + std::string(rest);
}

std::string metadata_url(std::string_view resource) {
    return std::string(split_origin(resource).first) + metadata_path(resource);
}

}  // namespace oauth::resource
