#include "oauth/scopes/known_scopes.h"

#include <algorithm>
#include <array>

#include "util/words.h"

namespace oauth {

namespace {

using namespace std::string_view_literals;

// OIDC Core §5.4, in the order the specification lists them.
constexpr std::array kProfile = {
    "name"sv,   "family_name"sv, "given_name"sv, "middle_name"sv, "nickname"sv,
    "preferred_username"sv, "profile"sv, "picture"sv, "website"sv, "gender"sv,
    "birthdate"sv, "zoneinfo"sv, "locale"sv, "updated_at"sv,
};
constexpr std::array kEmail = {"email"sv, "email_verified"sv};
constexpr std::array kAddress = {"address"sv};
constexpr std::array kPhone = {"phone_number"sv, "phone_number_verified"sv};

struct ScopeClaims {
    std::string_view scope;
    std::span<const std::string_view> claims;
};
constexpr ScopeClaims kTable[] = {
    {"profile", kProfile},
    {"email", kEmail},
    {"address", kAddress},
    {"phone", kPhone},
};

constexpr std::array kScopes = {
    "openid"sv, "profile"sv, "email"sv, "address"sv, "phone"sv, "offline_access"sv,
};

// OIDC Core §2: what an ID token itself carries.
constexpr std::array kIdTokenClaims = {
    "sub"sv, "iss"sv, "aud"sv, "exp"sv, "iat"sv, "auth_time"sv, "nonce"sv,
};

constexpr auto kAllClaims = [] {
    std::array<std::string_view, kIdTokenClaims.size() + kProfile.size() + kEmail.size() +
                                     kAddress.size() + kPhone.size()> all{};
    size_t i = 0;
    for (auto c : kIdTokenClaims) all[i++] = c;
    for (const auto& row : kTable)
        for (auto c : row.claims) all[i++] = c;
    return all;
}();

template <typename Range>
std::vector<std::string_view> collect(const Range& scopes) {
    // Walk the table rather than the request, so the result has one order
    // whatever order the client listed its scopes in.
    std::vector<std::string_view> out;
    for (const auto& row : kTable) {
        bool granted = std::any_of(std::begin(scopes), std::end(scopes),
                                   [&](const auto& s) { return std::string_view(s) == row.scope; });
        if (granted) out.insert(out.end(), row.claims.begin(), row.claims.end());
    }
    return out;
}

}  // namespace

std::span<const std::string_view> supported_scopes() { return kScopes; }

std::span<const std::string_view> supported_claims() { return kAllClaims; }

std::span<const std::string_view> claims_of_scope(std::string_view scope) {
    for (const auto& row : kTable)
        if (row.scope == scope) return row.claims;
    return {};
}

std::vector<std::string_view> claims_for_scopes(std::string_view scope) {
    return collect(util::words(scope));
}

std::vector<std::string_view> claims_for_scopes(std::span<const std::string> scopes) {
    return collect(scopes);
}

std::vector<std::string_view> claims_for_scopes(std::span<const std::string_view> scopes) {
    return collect(scopes);
}

}  // namespace oauth
