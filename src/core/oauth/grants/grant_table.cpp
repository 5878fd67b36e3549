// grant_type value -> Grant factory (RFC 6749 §4.4, §4.3, §6; RFC 8628 §3.4).
// One declaration and one row per grant type; each grant lives in its own file.
#include "oauth/grants/grant.h"

namespace oauth::token {

std::unique_ptr<Grant> make_authorization_code_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_client_credentials_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_password_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_refresh_token_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_device_code_grant(const GrantContext& ctx);

namespace {

struct Row {
    std::string_view name;
    GrantFactory factory;
};

const Row kGrants[] = {
    {store::kGrantAuthorizationCode, make_authorization_code_grant},
    {store::kGrantClientCredentials, make_client_credentials_grant},
    {store::kGrantPassword, make_password_grant},
    {store::kGrantRefreshToken, make_refresh_token_grant},
    {store::kGrantDeviceCode, make_device_code_grant},
};

}  // namespace

GrantFactory find_grant(std::string_view grant_type) {
    for (const auto& row : kGrants)
        if (row.name == grant_type) return row.factory;
    return nullptr;
}

std::vector<std::string_view> supported_grants() {
    std::vector<std::string_view> out;
    for (const auto& row : kGrants) out.push_back(row.name);
    return out;
}

}  // namespace oauth::token
