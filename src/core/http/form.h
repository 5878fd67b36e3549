// application/x-www-form-urlencoded (HTML 5 §4.10.22.6 / RFC 6749 Appendix B),
// used for request bodies and query strings alike.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth::http {

// Percent-decoding with '+' as space; nullopt on a broken escape.
std::optional<std::string> form_decode(std::string_view s);
// The inverse: every byte outside ALPHA / DIGIT / "-._~" percent-encoded.
std::string form_encode(std::string_view s);

struct Form {
    std::map<std::string, std::string, std::less<>> params;
    // RFC 6749 §3.1/§3.2: a parameter sent twice is invalid_request; the first
    // repeated name is kept here so the error can say which.
    std::optional<std::string> duplicate;
    bool malformed = false;
    // Every value of `resource`, in order: RFC 8707 §2 lets it repeat (one
    // per target resource), so it alone is never a duplicate.
    std::vector<std::string> resources;

    const std::string* get(std::string_view name) const {
        auto it = params.find(name);
        return it == params.end() ? nullptr : &it->second;
    }
    // Missing and empty are the same thing (RFC 6749 §3.1).
    std::string_view value(std::string_view name) const {
        const std::string* v = get(name);
        return v ? std::string_view(*v) : std::string_view();
    }
};

Form parse_form(std::string_view text);

// Builds "a=1&b=2" with form_encode, skipping empty values.
std::string build_query(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace oauth::http
