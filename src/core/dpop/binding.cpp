#include "dpop/binding.h"

#include <algorithm>
#include <cctype>

#include "json/json.h"

namespace oauth::dpop {

void add_confirmation(json_t* claims, std::string_view jkt) {
    json::Json cnf(json_object());
    json::set(cnf.get(), "jkt", jkt);
    json::set_new(claims, "cnf", cnf.release());
}

std::optional<std::string_view> confirmation(const json_t* claims) {
    const json_t* cnf = json_object_get(claims, "cnf");
    if (!json_is_object(cnf)) return std::nullopt;
    return json::get_string(cnf, "jkt");
}

bool well_formed_jkt(std::string_view jkt) {
    constexpr size_t kThumbprintChars = 43;  // base64url of a SHA-256 digest
    return jkt.size() == kThumbprintChars &&
           std::all_of(jkt.begin(), jkt.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '-' || c == '_';
           }) &&
           // The last character carries 2 bits of padding that must be zero.
           std::string_view("AEIMQUYcgkosw048").find(jkt.back()) != std::string_view::npos;
}

bool code_binding_holds(std::string_view bound, std::string_view jkt) {
    return bound.empty() || bound == jkt;
}

bool binds_refresh_token(const store::Client& client, std::string_view jkt, bool refresh_token) {
    return refresh_token && client.is_public && !jkt.empty();
}

std::optional<std::string_view> family_key(const store::Family& family) {
    auto it = family.fields.find(kFamilyField);
    if (it == family.fields.end() || it->second.empty()) return std::nullopt;
    return std::string_view(it->second);
}

std::optional<std::string_view> refresh_refusal(const store::Family& family, const Proof* proof) {
    auto bound = family_key(family);
    if (!bound) return std::nullopt;
    if (!proof) return "refresh token bound to a DPoP key, sent without a proof";
    if (proof->jkt != *bound) return "refresh token bound to another DPoP key";
    return std::nullopt;
}

}  // namespace oauth::dpop
