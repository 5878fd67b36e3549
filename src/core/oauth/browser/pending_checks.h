// The checks on a pending request that the authorization, login, consent
// and landing pages share: may this session finish it now, was it started
// in this browser, and the code record it becomes.
#pragma once
#include <cstdint>

#include "flow/flow.h"
#include "oauth/browser/code.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"

namespace oauth::authz {

// The session may finish the request (OIDC Core §3.1.2.1): with prompt=login
// only a login at or after the request counts; with max_age only a login at
// most that many seconds before now.
bool session_satisfies(const Pending& p, const sso::Session& s, int64_t now);

// The pending request was started in this browser (its CSRF cookie): a
// handle is useless in another one (login CSRF, a handle passed around).
bool started_in_this_browser(const Pending& p, const flow::Request& request,
                             const flow::ServerConfig& server);

// The code's record for a pending request approved by a session.
CodeRecord code_record(const Pending& p, const sso::Session& s, int64_t now);

}  // namespace oauth::authz
