#include "oauth/users/user_claims.h"

namespace oauth::claims {

namespace {

constexpr std::string_view kAddress = "address";

json::Json parse_any(std::string_view text) {
    json_error_t err;
    return json::take(json_loadb(text.data(), text.size(), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err));
}

// OIDC Core §5.1.1: the whole address as text is its "formatted" member.
json::Json formatted(std::string_view text) {
    json::Json o(json_object());
    json::set(o.get(), "formatted", text);
    return o;
}

}  // namespace

json::Json from_text(std::string_view name, std::string_view text) {
    json::Json parsed = parse_any(text);
    if (name == kAddress) {
        if (json_is_object(parsed.get())) return parsed;
        if (json_is_string(parsed.get()))
            return formatted({json_string_value(parsed.get()), json_string_length(parsed.get())});
        return formatted(text);
    }
    if (parsed) return parsed;
    json::Json s = json::take(json_stringn(text.data(), text.size()));
    if (!s) throw json::SetFailed();  // not UTF-8
    return s;
}

json::Json for_release(std::string_view name, json_t* stored) {
    if (!stored) return nullptr;
    if (name != kAddress || json_is_object(stored)) return json::share(stored);
    if (!json_is_string(stored)) return nullptr;
    std::string_view text(json_string_value(stored), json_string_length(stored));
    json::Json parsed = json::parse_object(text);
    return parsed ? std::move(parsed) : formatted(text);
}

}  // namespace oauth::claims
