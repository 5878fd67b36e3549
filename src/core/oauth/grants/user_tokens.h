// What the grants that carry a user's approval (authorization_code,
// device_code) issue once it is verified: the tokens, with the family keeping
// auth_time and the user's claims for later ID tokens and userinfo
// (id_token.h), plus an ID token when openid was granted (OIDC Core
// §3.1.3.3). A refresh token when the client may use the refresh_token grant.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"

namespace oauth::token {

struct UserApproval {
    std::string_view sub;
    std::string_view username;
    std::string_view scope;           // granted, already checked
    const json_t* claims = nullptr;   // the user's claims object; null: none
    int64_t auth_time = 0;
    std::string_view nonce;           // empty: the request sent none
    std::vector<std::string> resources{};  // RFC 8707: the token's aud
    std::vector<std::string> granted_resources{};  // what refreshes may ask for
};

struct UserTokens {
    Issued issued;                    // issued.commands is the step to run
    std::optional<std::string> id_token;

    // The token response's body, id_token included.
    json::Json response() const;
};

// family_id: allocated earlier (the single-use marker's), never "".
UserTokens issue_for_user(const GrantContext& ctx, const UserApproval& approval,
                          std::string family_id);

}  // namespace oauth::token
