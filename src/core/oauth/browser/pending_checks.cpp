#include "oauth/browser/pending_checks.h"

#include "oauth/browser/csrf.h"
#include "util/crypto.h"

namespace oauth::authz {

bool session_satisfies(const Pending& p, const sso::Session& s, int64_t now) {
    // Timestamps have a one-second grain: the session the browser already had
    // is excluded by its id, so a login in the same second still counts.
    if (p.prompt_login && (s.auth_time < p.iat || s.sid == p.stale_sid)) return false;
    return p.max_age < 0 || s.auth_time >= now - p.max_age;
}

bool started_in_this_browser(const Pending& p, const flow::Request& request,
                             const flow::ServerConfig& server) {
    return !p.browser.empty() && util::constant_time_equal(p.browser, csrf::binding(request, server));
}

CodeRecord code_record(const Pending& p, const sso::Session& s, int64_t now) {
    CodeRecord c;
    c.client_id = p.client_id;
    c.redirect_uri = p.redirect_uri;
    c.code_challenge = p.code_challenge;
    c.code_challenge_method = p.code_challenge_method;
    c.nonce = p.nonce;
    c.scope = p.scope;
    c.resource = p.resource;
    c.sub = s.sub;
    c.username = s.username;
    c.auth_time = s.auth_time;
    c.claims = s.claims ? json::share(s.claims.get()) : json::Json(json_object());
    c.iat = now;
    c.dpop_jkt = p.dpop_jkt;
    return c;
}

}  // namespace oauth::authz
