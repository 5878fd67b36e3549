// Security and counting events a flow reports with a step (SPEC section 11):
// the glue counts them in oauth_metrics and writes them to oauth_audit_log.
// The core never logs or writes files itself; it says what happened.
// An event never carries a token, a code, a secret or a password: only
// identifiers (client id, sub, jti, family id), the user name typed at a
// sign-in, and fixed words (grant type, error code).
#pragma once
#include <string>

#include "oauth_core.h"

namespace oauth::flow {

struct Event {
    oauth_event_kind_e kind = OAUTH_EVENT_TOKEN_ISSUED;
    std::string grant{};     // TOKEN_ISSUED, TOKEN_ERROR: the grant_type
    std::string client{};    // client_id
    std::string sub{};
    std::string jti{};
    std::string family{};
    std::string username{};  // LOGIN_*: the user name as typed
    std::string error{};     // TOKEN_ERROR: the OAuth error code; LOGIN_FAILED:
                           // "invalid_credentials" or "rate_limited"
};

}  // namespace oauth::flow
